import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ACK_DEADLINES_MS } from '../domain/severity.ts';
import { Runbook } from '../domain/runbook.ts';
import { builtinRunbooksDir, loadRunbooks } from './load-runbooks.ts';
import { humanDuration, renderPack, renderRunbook } from './render-runbook.ts';

const SEED = readFileSync(fileURLToPath(new URL('../../docs/seed-runbooks.md', import.meta.url)), 'utf8');
const SEED_RESOURCES = [
  { title: 'Disaster Recovery Plan', href: '../DISASTER_RECOVERY_PLAN.md' },
  { title: 'Security Documentation', href: '../security/SECURITY_DOCUMENTATION.md' },
  { title: 'Monitoring Dashboard', href: '/api/health/detailed' },
];
// The seed's response script is Firebreak's `respond` command (same flags, docs/design.md "Interfaces").
const SCRIPT_EQUIVALENT: [string, string][] = [['python scripts/incident_response/automated_response.py', 'firebreak respond']];

// Block labels inside a section: `### Symptoms` in the plain layout, `**Symptoms**:` in the grouped one.
const LABELS = new Set(['Symptoms', 'Immediate Actions', 'Actions', 'Script', 'Verification']);

interface Block {
  numbered: string[];
  bullets: string[];
  code: string[];
  inline: string[];
}
interface Parsed {
  headings: string[];
  sections: Map<string, Map<string, Block>>;
}

/** Strips emphasis, Firebreak's markers and trailing colons; collapses whitespace. */
function norm(s: string): string {
  let t = s
    .replace(/\*\*|__/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  for (let i = 0; i < 2; i++)
    t = t
      .replace(/:$/, '')
      .replace(/\s*\((automated|approval required|checked)[^()]*\)$/, '')
      .trim();
  return t;
}

/** One parser for the seed and the rendering, so both are read the same way. */
function parse(md: string): Parsed {
  const headings: string[] = [];
  const sections = new Map<string, Map<string, Block>>();
  let section = '(preamble)';
  let label = '';
  let fence: string | undefined;
  const block = (): Block => {
    const s = sections.get(section) ?? new Map<string, Block>();
    sections.set(section, s);
    const b = s.get(label) ?? { numbered: [], bullets: [], code: [], inline: [] };
    s.set(label, b);
    return b;
  };
  for (const raw of md.split('\n')) {
    const line = raw.trim();
    if (fence !== undefined) {
      if (line === '```') fence = undefined;
      else if (line !== '') block().code.push(`${fence}:${line}`);
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^```(\w*)$/.exec(line))) fence = m[1] || 'text';
    else if ((m = /^#{1,3} (.+)$/.exec(line))) {
      const h = norm(m[1]!);
      headings.push(h);
      if (LABELS.has(h)) label = h;
      else [section, label] = [h, ''];
    } else if ((m = /^\*\*([^*]+)\*\*:\s*(.*)$/.exec(line)) && LABELS.has(m[1]!)) {
      label = m[1]!;
      if (m[2]) block().inline.push(...m[2].split(', ').map((s) => s.toLowerCase()));
    } else if ((m = /^\d+\.\s+(.+)$/.exec(line))) block().numbered.push(norm(m[1]!));
    else if ((m = /^- (.+)$/.exec(line))) block().bullets.push(norm(m[1]!));
  }
  return { headings, sections };
}

/** True when `want` appears in `have` in the same order (other items may sit between). */
function isSubsequence(want: string[], have: string[]): boolean {
  let i = 0;
  for (const h of have) if (i < want.length && h === want[i]) i++;
  return i === want.length;
}

const pack = loadRunbooks({ builtinDir: builtinRunbooksDir() });
const rendered = renderPack(pack.values(), DEFAULT_ACK_DEADLINES_MS, { resources: SEED_RESOURCES });

test('the rendered pack contains every seed heading, step title, command, bullet and symptom, in seed order', () => {
  let seedText = SEED;
  for (const [from, to] of SCRIPT_EQUIVALENT) seedText = seedText.split(from).join(to);
  const seed = parse(seedText);
  const ours = parse(rendered);
  for (const h of seed.headings) assert.ok(ours.headings.includes(h), `heading "${h}" is missing`);
  let compared = 0;
  for (const [name, blocks] of seed.sections) {
    const mine = ours.sections.get(name);
    assert.ok(mine, `section "${name}" is missing`);
    for (const [label, want] of blocks) {
      const have = mine.get(label);
      for (const kind of ['numbered', 'bullets', 'code', 'inline'] as const) {
        if (want[kind].length === 0) continue;
        compared += want[kind].length;
        assert.ok(
          have && isSubsequence(want[kind], have[kind]),
          `${name} / ${label || '(body)'} / ${kind}:\n  seed: ${JSON.stringify(want[kind])}\n  ours: ${JSON.stringify(have?.[kind])}`,
        );
      }
    }
  }
  // The parser must actually have found the seed's content (a test that cannot fail is a defect).
  assert.ok(compared >= 140, `only ${compared} items compared`);
  assert.ok(
    parse(SEED)
      .sections.get('Database Connection Failures')
      ?.get('Immediate Actions')
      ?.code.includes('bash:curl http://localhost:8000/healthz'),
  );
});

test('the parser notices a missing step (the comparison can fail)', () => {
  const broken = rendered.replace('**Check Connection Pool**', '**Check Pool**');
  const seed = parse(SEED).sections.get('Database Connection Failures')!.get('Immediate Actions')!;
  const ours = parse(broken).sections.get('Database Connection Failures')!.get('Immediate Actions')!;
  assert.equal(isSubsequence(seed.numbered, ours.numbered), false);
});

test('markers: automated actions, approval-gated and automated commands, checks', () => {
  assert.match(rendered, /^1\. Block IP address automatically \(via security monitoring\) \(automated: block_ip 1h\)$/m);
  assert.match(rendered, /^1\. \*\*Check Database Status\*\* \(automated\):$/m);
  assert.match(rendered, /^3\. \*\*Restart Database \(if needed\)\*\* \(approval required\):$/m);
  assert.match(rendered, /^ {3}```sql\n {3}SELECT \* FROM pg_stat_activity WHERE state = 'active';$/m);
  assert.match(rendered, /^- Health check returns 200 \(checked: GET http:\/\/localhost:8000\/healthz returns 200 for 1m\)$/m);
  assert.match(rendered, /^## Security Incidents\n\n### Brute Force Attack$/m);
  assert.match(rendered, /^\*\*Symptoms\*\*: High request rate, service degradation$/m);
});

test('severity levels follow the deadlines given', () => {
  const md = renderPack([], { critical: 30 * 60_000, high: 2 * 3_600_000, medium: 4 * 3_600_000, low: 86_400_000 });
  assert.match(md, /^- \*\*Critical\*\*: Immediate response required \(< 30 minutes\)$/m);
  assert.match(md, /^- \*\*High\*\*: Response within 2 hours$/m);
  assert.match(md, /^- \*\*Low\*\*: Response within 24 hours$/m);
  const cases: [number, string][] = [
    [15 * 60_000, '15 minutes'],
    [3_600_000, '1 hour'],
    [90 * 60_000, '90 minutes'],
    [45_000, '45 seconds'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want);
});

test("post-incident: items common to every runbook once, each runbook's own under its title", () => {
  const a = Runbook.parse({ type: 'a', title: 'A', severity: 'low', post_incident: ['Document Incident: Timeline', 'Call the vendor'] });
  const b = Runbook.parse({ type: 'b', title: 'B', severity: 'low', post_incident: ['Document Incident: Timeline'] });
  const none = Runbook.parse({ type: 'c', title: 'C', severity: 'low' });
  const md = renderPack([a, none, b], DEFAULT_ACK_DEADLINES_MS, { escalationPath: ['Bot', 'Human'] });
  const post = md.slice(md.indexOf('## Post-Incident Procedures'));
  assert.match(post, /^1\. \*\*Document Incident\*\*:\n {3}- Timeline\n\n### A\n\n1\. Call the vendor$/m);
  assert.equal(post.match(/Document Incident/g)?.length, 1);
  assert.doesNotMatch(post, /### [BC]/);
  assert.match(md, /^2\. \*\*Level 2\*\*: Human$/m);
  assert.doesNotMatch(md, /Level 3/);
});

test('renderRunbook renders one runbook standalone, with its post-incident procedures', () => {
  const md = renderRunbook(pack.get('brute_force_attempt')!);
  assert.match(md, /^## Brute Force Attack\n/);
  assert.match(
    md,
    /^### Immediate Actions\n\n1\. \*\*Block IP address automatically \(via security monitoring\)\*\* \(automated: block_ip 1h\)$/m,
  );
  assert.match(md, /^### Script\n\n```bash\nfirebreak respond \\$/m);
  assert.match(md, /^### Post-Incident Procedures\n\n1\. \*\*Document Incident\*\*:$/m);
  assert.doesNotMatch(md, /Escalation Procedures/);
});
