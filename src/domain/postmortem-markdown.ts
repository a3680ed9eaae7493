/**
 * A post-mortem as one Markdown document, and back. `renderPostmortem` writes
 * the whole document: the people-written sections (Summary, Root cause, What
 * went well, What went badly, Lessons learned, Notes) and the generated ones
 * (marked "(generated)"). `parsePostmortem` reads back the title and the
 * people-written sections only, so an exported file can be edited and
 * imported: parse(render(x)) gives x's fields back exactly (after
 * normalizeText). Inside a section, use `###` or deeper for sub-headings: a
 * `## ` line starts a new section only when it names a known one, and lines in
 * ``` fences are never headings.
 */
import { formatSeconds, type PostmortemFacts, type PostmortemStatus } from './postmortem.ts';

export const EDITABLE_SECTIONS = [
  ['Summary', 'summary'],
  ['Root cause', 'root_cause'],
  ['What went well', 'went_well'],
  ['What went badly', 'went_badly'],
  ['Lessons learned', 'lessons'],
  ['Notes', 'body'],
] as const;
export type EditableField = (typeof EDITABLE_SECTIONS)[number][1];

const GENERATED_SECTIONS = [
  'Impact',
  'Detections and evidence',
  'Actions',
  'Escalations and responders',
  'SLA breaches',
  'Timeline',
  'Action items',
];
const PLACEHOLDER = '_Not written yet._';
const TITLE_PREFIX = '# Post-mortem: ';

/** What a post-mortem says: its state, its texts and the facts drawn from the incident (stored as they are). */
export interface PostmortemContent {
  status: PostmortemStatus;
  title: string;
  summary: string;
  body: string;
  root_cause: string;
  went_well: string;
  went_badly: string;
  lessons: string;
  facts: PostmortemFacts;
}

export interface PostmortemDocument extends PostmortemContent {
  id: string;
  incident_id: string;
  due_at: string;
  overdue: boolean;
  version: number;
}

export interface ActionItemLine {
  id: string;
  title: string;
  owner: string | null;
  due: string | null;
  status: string;
  kind: string;
  runbook_file: string | null;
}

/** CRLF → LF, no leading blank lines, no trailing whitespace: how every text field is stored. */
export function normalizeText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}

/**
 * Text from events and records (detection messages, actors, action errors,
 * titles) shown as plain text, never as Markdown or HTML: every character
 * Markdown or HTML gives a meaning is backslash-escaped and line breaks become
 * spaces, so an attacker-chosen user id or message cannot add a heading, an
 * image, a `javascript:` link or a `<script>` to the export. The
 * people-written sections are Markdown on purpose and stay as written.
 */
export function plain(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_{}[\]#|<>&~]/g, '\\$&');
}

/** Undoes plain() (the title is read back on import). */
function unplain(s: string): string {
  return s.replace(/\\([\\`*_{}[\]#|<>&~])/g, '$1');
}

/** One line, safe inside a Markdown table cell. */
function cell(s: string): string {
  return s
    .split(/\r?\n/)
    .map((l) => plain(l))
    .join('<br>');
}

/** A code span that no backtick inside `s` can close early (CommonMark: a longer fence, padded with spaces). */
function code(s: string): string {
  const line = s.replace(/\r?\n|\r/g, ' ');
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest === 0 ? `${fence}${line}${fence}` : `${fence} ${line} ${fence}`;
}

export function renderPostmortem(p: PostmortemDocument, actionItems: readonly ActionItemLine[] = []): string {
  const f = p.facts;
  const i = f.incident;
  const out: string[] = [];
  const section = (name: string, content: string, generated = false) => {
    out.push(`## ${name}${generated ? ' (generated)' : ''}`, '', content === '' ? PLACEHOLDER : content, '');
  };
  out.push(`${TITLE_PREFIX}${plain(p.title)}`, '');
  out.push(
    `<!-- Firebreak post-mortem ${p.id} of incident ${p.incident_id}, version ${p.version}. Sections marked (generated) come from the incident's records; \`firebreak postmortem import\` reads back the title and the other sections. -->`,
    '',
  );
  out.push('| | |', '|---|---|');
  const row = (k: string, v: string) => out.push(`| ${k} | ${cell(v)} |`);
  row('Incident', `#${i.id} ${i.type} (${i.severity})${i.dedup_key ? ` ${i.dedup_key}` : ''}: ${i.title}`);
  row('Status', p.status);
  row('Detected', i.detected_at);
  row('Resolved', `${i.resolved_at ?? '-'}${i.resolved_by ? ` by ${i.resolved_by}` : ''}`);
  row('Time to acknowledge', `${formatSeconds(f.tta_s)}${i.acknowledged_by ? ` (${i.acknowledged_by})` : ''}`);
  row('Time to resolve', formatSeconds(f.ttr_s));
  row('SLA breaches', String(f.sla_breaches.length));
  row('Responders', f.responders.length ? f.responders.join(', ') : '-');
  row('Due', `${p.due_at}${p.overdue ? ' (overdue)' : ''}`);
  out.push('');

  section('Summary', p.summary);
  section('Impact', `From ${f.impact.start} (detected) to ${f.impact.end} (resolved): ${formatSeconds(f.impact.duration_s)}.`, true);
  section(
    'Detections and evidence',
    f.detections
      .map(
        (d) =>
          `- ${code(d.at)} ${plain(d.kind)} by ${plain(d.actor)}: ${plain(d.message)}${d.evidence !== null && d.evidence !== undefined ? `\n  evidence: ${code(JSON.stringify(d.evidence))}` : ''}`,
      )
      .join('\n'),
    true,
  );
  section(
    'Actions',
    f.actions
      .map(
        (a) =>
          `- ${code(a.at)} ${plain(a.kind)}${a.action ? ` ${code(a.action)}` : ''} by ${plain(a.actor)} (${a.automated ? 'automated' : 'manual'})${a.outcome ? `: **${plain(a.outcome)}**` : ''}${a.error ? ` (${plain(a.error)})` : ''}. ${plain(a.message)}`,
      )
      .join('\n'),
    true,
  );
  section(
    'Escalations and responders',
    [
      ...f.escalations.map(
        (e) => `- ${code(e.at)} ${plain(e.kind)}${e.level !== null ? ` (level ${e.level})` : ''} by ${plain(e.actor)}: ${plain(e.message)}`,
      ),
      ...(f.responders.length ? ['', `Responders: ${plain(f.responders.join(', '))}.`] : []),
    ].join('\n'),
    true,
  );
  section('SLA breaches', f.sla_breaches.map((b) => `- ${code(b.at)} ${plain(b.message)}`).join('\n'), true);
  section(
    'Timeline',
    f.timeline.length
      ? [
          '| id | time | kind | actor | message |',
          '|---|---|---|---|---|',
          ...f.timeline.map((e) => `| ${e.id} | ${e.at} | ${cell(e.kind)} | ${cell(e.actor)} | ${cell(e.message)} |`),
        ].join('\n')
      : '',
    true,
  );
  for (const [name, field] of EDITABLE_SECTIONS) if (field !== 'summary') section(name, p[field]);
  section(
    'Action items',
    actionItems
      .map(
        (a) =>
          `- [${a.status === 'done' ? 'x' : ' '}] #${a.id} ${plain(a.title)} (${[a.kind === 'runbook_update' ? `update ${code(a.runbook_file ?? '')}` : 'task', a.owner ? `owner ${plain(a.owner)}` : 'no owner', a.due ? `due ${a.due}` : 'no due date', a.status].join(', ')})`,
      )
      .join('\n'),
    true,
  );
  return out.join('\n').trimEnd() + '\n';
}

export type ParsedPostmortem = Partial<Record<EditableField | 'title', string>>;

/** The post-mortem id and version an exported document was rendered from (its header comment), if present. */
export function exportedFrom(markdown: string): { id: string; version: number } | null {
  const m = /<!-- Firebreak post-mortem (\d+) of incident \d+, version (\d+)\./.exec(markdown);
  return m ? { id: m[1]!, version: Number(m[2]) } : null;
}

/** Reads the title and the people-written sections of a rendered post-mortem. */
export function parsePostmortem(markdown: string): ParsedPostmortem {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const known = new Map<string, EditableField | null>([
    ...EDITABLE_SECTIONS.map(([n, f]) => [n.toLowerCase(), f] as const),
    ...GENERATED_SECTIONS.map((n) => [n.toLowerCase(), null] as const),
  ]);
  const out: ParsedPostmortem = {};
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  if (firstLine >= 0 && lines[firstLine]!.startsWith(TITLE_PREFIX))
    out.title = unplain(lines[firstLine]!.slice(TITLE_PREFIX.length).trim());
  let current: EditableField | null = null;
  let buf: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (current) {
      const text = normalizeText(buf.join('\n'));
      out[current] = text === PLACEHOLDER ? '' : text;
    }
    buf = [];
  };
  for (const line of lines) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]![0]!;
      else if (f[1]![0] === fence) fence = null;
    }
    const h = fence === null ? /^## (.+?)\s*$/.exec(line) : null;
    const name = h ? h[1]!.replace(/\s*\(generated\)$/i, '').toLowerCase() : null;
    if (name !== null && known.has(name)) {
      flush();
      current = known.get(name)!;
      continue;
    }
    buf.push(line);
  }
  flush();
  return out;
}
