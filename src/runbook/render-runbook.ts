/**
 * Renders runbooks as Markdown in the layout of the seed runbook
 * (docs/seed-runbooks.md), so the pack reads like the document it came from:
 *
 *   - a runbook without `category` is a `## Title` section with `### Symptoms`,
 *     `### Immediate Actions`, `### Script`, `### Verification`;
 *   - runbooks sharing a `category` (the seed's "Security Incidents") render
 *     under one `## Category` as `### Title` with bold inline labels
 *     (`**Symptoms**: a, b`, `**Actions**:`, `**Script**:`, `**Verification**:`).
 *
 * Consecutive steps with the same title render as one numbered item (the
 * seed's "PostgreSQL / Or Docker" alternatives are two steps, one item);
 * a command step's description becomes a comment line in its fence.
 * Markers say what Firebreak does by itself: `(automated: block_ip 1h)`,
 * `(automated)`, `(approval required)`, `(checked: ...)`.
 */
import { formatDuration } from '../domain/duration.ts';
import { SEVERITIES, type Severity } from '../domain/severity.ts';
import { checkKind, stepKind, type Check, type Runbook, type Step } from '../domain/runbook.ts';

/** The seed's escalation path, level 1 first. */
export const DEFAULT_ESCALATION_PATH: readonly string[] = Object.freeze([
  'Automated response (scripts)',
  'On-call engineer',
  'Security team / Management',
  'External support',
]);

/** Options of renderPack beyond the runbooks and deadlines. */
export interface RenderPackOptions {
  /** One description per escalation level, level 1 first (default: the seed's). */
  escalationPath?: readonly string[];
  /** Links for "Additional Resources" (default: the health dashboard). */
  resources?: readonly { title: string; href: string }[];
}

type Layout = 'section' | 'compact';

/** One runbook as a standalone `## Title` section, its post-incident procedures included. */
export function renderRunbook(rb: Runbook): string {
  const out = renderBody(rb, 'section');
  if (rb.post_incident.length > 0) out.push('### Post-Incident Procedures', '', ...renderPostItems(rb.post_incident), '');
  return finish(out);
}

/**
 * The whole pack: title, table of contents, one section per runbook (grouped
 * by category at the category's first appearance), escalation procedures with
 * the given acknowledgement deadlines, post-incident procedures (those common
 * to every runbook first, then each runbook's own), additional resources.
 */
export function renderPack(
  runbooks: Iterable<Runbook>,
  deadlines: Readonly<Record<Severity, number>>,
  opts: RenderPackOptions = {},
): string {
  const list = [...runbooks];
  // Units in first-appearance order: a lone runbook, or a category with its runbooks.
  const units: { heading: string; members: Runbook[]; category: boolean }[] = [];
  for (const rb of list) {
    const existing = rb.category === undefined ? undefined : units.find((u) => u.category && u.heading === rb.category);
    if (existing) existing.members.push(rb);
    else units.push({ heading: rb.category ?? rb.title, members: [rb], category: rb.category !== undefined });
  }
  const out: string[] = ['# Incident Response Runbooks', '', 'Step-by-step procedures for common incidents.', ''];
  out.push('## Table of Contents', '', ...units.map((u, i) => `${i + 1}. [${u.heading}](#${anchor(u.heading)})`), '', '---', '');
  for (const u of units) {
    if (u.category) {
      out.push(`## ${u.heading}`, '');
      for (const rb of u.members) out.push(...renderBody(rb, 'compact'));
    } else {
      out.push(...renderBody(u.members[0]!, 'section'));
    }
    out.push('---', '');
  }
  out.push('## Escalation Procedures', '', '### Severity Levels', '');
  for (const s of SEVERITIES) {
    const within = humanDuration(deadlines[s]);
    const text = s === 'critical' ? `Immediate response required (< ${within})` : `Response within ${within}`;
    out.push(`- **${capitalize(s)}**: ${text}`);
  }
  out.push('', '### Escalation Path', '');
  (opts.escalationPath ?? DEFAULT_ESCALATION_PATH).forEach((d, i) => out.push(`${i + 1}. **Level ${i + 1}**: ${d}`));
  out.push('', '---', '', '## Post-Incident Procedures', '');
  // Invariant: an item in the common list is in the list of every runbook
  // that has one (a runbook without post-incident items follows the common list).
  const withItems = list.filter((rb) => rb.post_incident.length > 0);
  const common = (withItems[0]?.post_incident ?? []).filter((item) => withItems.every((rb) => rb.post_incident.includes(item)));
  out.push(...renderPostItems(common));
  for (const rb of list) {
    const own = rb.post_incident.filter((item) => !common.includes(item));
    if (own.length > 0) out.push('', `### ${rb.title}`, '', ...renderPostItems(own));
  }
  out.push('', '---', '', '## Additional Resources', '');
  for (const r of opts.resources ?? [{ title: 'Monitoring Dashboard', href: '/api/health/detailed' }])
    out.push(`- [${r.title}](${r.href})`);
  return finish(out);
}

function renderBody(rb: Runbook, layout: Layout): string[] {
  const section = layout === 'section';
  const label = (name: string, inline?: string): string[] =>
    section
      ? [`### ${name}`, ...(inline === undefined ? [] : ['', `- ${inline}`])]
      : [`**${name}**:${inline === undefined ? '' : ` ${inline}`}`];
  const out: string[] = [`${section ? '##' : '###'} ${rb.title}`, '', metaLine(rb), ''];
  if (rb.symptoms.length > 0) {
    if (section) out.push(...label('Symptoms'), ...rb.symptoms.map((s) => `- ${s}`), '');
    else out.push(...label('Symptoms', joinInline(rb.symptoms)), '');
  }
  if (rb.immediate_actions.length > 0) {
    out.push(...label(section ? 'Immediate Actions' : 'Actions'), ...(section ? [''] : []));
    groupSteps(rb.immediate_actions).forEach((group, i) => {
      out.push(...renderStepGroup(group, i + 1, section));
      if (section) out.push('');
    });
    if (!section) out.push('');
  }
  if (rb.script !== undefined) out.push(...label('Script'), ...(section ? [''] : []), '```bash', rb.script.trimEnd(), '```', '');
  if (rb.verification.length > 0) {
    out.push(...label('Verification'));
    for (const c of rb.verification) {
      const marker = checkMarker(c);
      out.push(`- ${c.title}${marker ? ` (${marker})` : ''}`);
      if ('manual' in c && c.manual.trim() !== c.title) out.push(`  - ${c.manual.trim()}`);
    }
    out.push('');
  }
  return out;
}

function metaLine(rb: Runbook): string {
  const parts = [`Incident type \`${rb.type}\``, `default severity **${rb.severity}**`];
  if (rb.escalation_policy) parts.push(`escalation policy \`${rb.escalation_policy}\``);
  if (rb.auto_resolve) parts.push('resolves itself once every automated check holds');
  return `_${parts.join(' · ')}._`;
}

/** Runs of consecutive steps with the same title. */
function groupSteps(steps: readonly Step[]): Step[][] {
  const groups: Step[][] = [];
  for (const s of steps) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.title === s.title) last.push(s);
    else groups.push([s]);
  }
  return groups;
}

function renderStepGroup(group: Step[], n: number, section: boolean): string[] {
  const body: string[] = [];
  let fence: { lang: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (fence) body.push('```' + fence.lang, ...fence.lines, '```');
    fence = undefined;
  };
  for (const step of group) {
    if ('command' in step) {
      if (fence?.lang !== step.language) flush();
      fence ??= { lang: step.language, lines: [] };
      const comment = step.language === 'sql' ? '--' : '#';
      if (step.description)
        fence.lines.push(
          ...step.description
            .trim()
            .split('\n')
            .map((l) => `${comment} ${l}`),
        );
      fence.lines.push(...step.command.trimEnd().split('\n'));
      continue;
    }
    flush();
    if (step.description) body.push(step.description.trim());
    if ('manual' in step && step.manual.trim() !== step.title) {
      body.push(
        ...step.manual
          .trim()
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => `- ${l.trim().replace(/^[-*]\s+/, '')}`),
      );
    }
  }
  flush();
  const markers = [...new Set(group.map(stepMarker).filter((m): m is string => m !== undefined))];
  const title = section ? `**${group[0]!.title}**` : group[0]!.title;
  const head = `${n}. ${title}${markers.length > 0 ? ` (${markers.join('; ')})` : ''}${body.length > 0 ? ':' : ''}`;
  return [head, ...body.map((l) => `   ${l}`)];
}

function stepMarker(step: Step): string | undefined {
  switch (stepKind(step)) {
    case 'action': {
      const s = step as Extract<Step, { action: string }>;
      const values = Object.entries(s.params)
        .map(([k, v]) => (k === 'duration_ms' && typeof v === 'number' ? formatDuration(v) : paramText(v)))
        .filter((v) => v !== '');
      return `automated: ${[s.action, ...values].join(' ')}`;
    }
    case 'command':
      return (step as Extract<Step, { command: string }>).approval === 'none' ? 'automated' : 'approval required';
    default:
      return undefined;
  }
}

function paramText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(paramText).join(',');
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

function checkMarker(c: Check): string | undefined {
  const hold = (ms: number): string => (ms > 0 ? ` for ${formatDuration(ms)}` : '');
  switch (checkKind(c)) {
    case 'probe': {
      const p = c as Extract<Check, { probe: string }>;
      return `checked: probe ${p.probe} healthy${hold(p.hold_for)}`;
    }
    case 'rule': {
      const r = c as Extract<Check, { rule: string }>;
      return `checked: rule ${r.rule} below its threshold${hold(r.below_for)}`;
    }
    case 'http': {
      const h = c as Extract<Check, { http: unknown }>;
      return `checked: GET ${h.http.url} returns ${h.http.status}${hold(h.hold_for)}`;
    }
    case 'sql': {
      const q = c as Extract<Check, { sql: unknown }>;
      const query = q.sql.query.trim();
      return `checked: SQL ${!query.includes('\n') && query.length <= 60 ? `\`${query}\`` : 'query'}${hold(q.hold_for)}`;
    }
    default:
      return undefined;
  }
}

/** `Title: a; b` renders as a bold title with bullets (the seed's layout); other items as plain lines. */
function renderPostItems(items: readonly string[]): string[] {
  const out: string[] = [];
  items.forEach((item, i) => {
    const m = /^([^:]+):\s+(.+)$/s.exec(item.trim());
    if (!m) {
      out.push(`${i + 1}. ${item.trim()}`);
      return;
    }
    out.push(
      `${i + 1}. **${m[1]!.trim()}**:`,
      ...m[2]!
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => `   - ${s}`),
    );
    if (i < items.length - 1) out.push('');
  });
  return out;
}

/** "High request rate, service degradation": later items lose their capital unless it is an acronym. */
function joinInline(items: readonly string[]): string {
  return items.map((s, i) => (i > 0 && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s)).join(', ');
}

/** 900000 → "15 minutes", 3600000 → "1 hour", 86400000 → "24 hours" (the seed's wording). */
export function humanDuration(ms: number): string {
  const [n, unit] = ms % 3_600_000 === 0 ? [ms / 3_600_000, 'hour'] : ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [ms / 1000, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function capitalize(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

/** Collapses runs of blank lines and ends with exactly one newline. */
function finish(lines: string[]): string {
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
