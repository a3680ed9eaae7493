import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  draftFacts,
  formatSeconds,
  isAutomatedActor,
  isOverdue,
  nextReminderSlot,
  reminderSlot,
  type PostmortemIncident,
  type PostmortemTimelineEntry,
} from './postmortem.ts';
import { normalizeText, parsePostmortem, renderPostmortem, type PostmortemDocument } from './postmortem-markdown.ts';

const H = 3_600_000;
const DUE = Date.parse('2026-03-04T10:00:00Z');

test('reminder slots: one per interval, the next at the start of the following one', () => {
  const cases: [number, number, { slot: number; atMs: number }][] = [
    // now, slot of now, next
    [DUE - H, -1, { slot: 0, atMs: DUE }],
    [DUE, 0, { slot: 1, atMs: DUE + 24 * H }],
    [DUE + 23 * H, 0, { slot: 1, atMs: DUE + 24 * H }],
    [DUE + 24 * H, 1, { slot: 2, atMs: DUE + 48 * H }],
    [DUE + 5 * 24 * H + H, 5, { slot: 6, atMs: DUE + 6 * 24 * H }],
  ];
  for (const [now, slot, next] of cases) {
    assert.equal(reminderSlot(DUE, 24 * H, now), slot, `slot at +${(now - DUE) / H}h`);
    assert.deepEqual(nextReminderSlot(DUE, 24 * H, now), next, `next after +${(now - DUE) / H}h`);
  }
});

test('isOverdue: unpublished and at or past the due time', () => {
  const cases: [string, number, boolean][] = [
    ['draft', DUE - 1, false],
    ['draft', DUE, true],
    ['in_review', DUE + H, true],
    ['published', DUE + H, false],
  ];
  for (const [status, now, want] of cases)
    assert.equal(isOverdue({ status: status as 'draft', due_at: new Date(DUE).toISOString() }, now), want, `${status} at ${now - DUE}`);
});

test('isAutomatedActor and formatSeconds', () => {
  for (const [a, want] of [
    ['system', true],
    ['rule:ddos', true],
    ['runbook:x', true],
    ['integration:pd', true],
    ['alice', false],
    ['rulebook', false],
  ] as const)
    assert.equal(isAutomatedActor(a), want, a);
  for (const [s, want] of [
    [null, '-'],
    [0, '0s'],
    [42, '42s'],
    [4500, '1h15m'],
    [90061, '1d1h1m1s'],
  ] as const)
    assert.equal(formatSeconds(s), want, String(s));
});

const incident: PostmortemIncident = {
  id: '7',
  type: 'ddos',
  severity: 'high',
  title: 'Flood from 198.51.100.7',
  dedup_key: 'ip:198.51.100.7',
  detected_at: '2026-03-02T08:00:00.000Z',
  acknowledged_at: '2026-03-02T08:10:00.000Z',
  acknowledged_by: 'alice',
  resolved_at: '2026-03-02T09:00:00.000Z',
  resolved_by: 'alice',
  reopen_count: 0,
  detection_count: 2,
};
const e = (id: number, kind: string, actor: string, data: Record<string, unknown> | null = null): PostmortemTimelineEntry => ({
  id: String(id),
  incident_id: '7',
  at: `2026-03-02T08:${String(id).padStart(2, '0')}:00.000Z`,
  kind,
  actor,
  message: `${kind} ${id}`,
  data,
});
const timeline = [
  e(1, 'opened', 'rule:ddos', { evidence: { value: 600 } }),
  e(2, 'step', 'runbook:ddos', { step: 'rate-limit', action: 'rate_limit', status: 'succeeded' }),
  e(3, 'signal', 'rule:ddos', { evidence: { value: 900 } }),
  e(4, 'escalated', 'system', { level: 2 }),
  e(5, 'notified', 'system', null),
  e(6, 'acknowledged', 'alice'),
  e(7, 'step', 'bob', { step: 'check-cdn', status: 'done' }),
  e(8, 'note', 'carol'),
  e(9, 'resolved', 'alice'),
];

test('draftFacts: every list keeps its timeline ids; TTA/TTR from the milestones', () => {
  const f = draftFacts(incident, timeline);
  assert.deepEqual(f.timeline, timeline);
  assert.deepEqual(
    f.detections.map((d) => [d.timeline_id, d.evidence]),
    [
      ['1', { value: 600 }],
      ['3', { value: 900 }],
    ],
  );
  assert.deepEqual(
    f.actions.map((a) => [a.timeline_id, a.action, a.outcome, a.automated]),
    [
      ['2', 'rate_limit', 'succeeded', true],
      ['7', 'check-cdn', 'done', false],
    ],
  );
  assert.deepEqual(
    f.escalations.map((x) => [x.timeline_id, x.kind, x.level]),
    [
      ['4', 'escalated', 2],
      ['5', 'notified', null],
      ['6', 'acknowledged', null],
    ],
  );
  assert.deepEqual(f.responders, ['alice', 'bob', 'carol']);
  assert.equal(f.tta_s, 600);
  assert.equal(f.ttr_s, 3600);
  assert.deepEqual(f.impact, { start: incident.detected_at, end: incident.resolved_at, duration_s: 3600 });
  assert.deepEqual(f.sla_breaches, []);
  assert.match(f.generated_summary, /acknowledged by alice after 10m/);
  assert.equal(draftFacts({ ...incident, acknowledged_at: null, acknowledged_by: null }, timeline).tta_s, null);
  assert.throws(() => draftFacts({ ...incident, resolved_at: null }, timeline), /not resolved/);
});

const doc = (over: Partial<PostmortemDocument> = {}): PostmortemDocument => {
  const facts = draftFacts(incident, timeline);
  return {
    id: '3',
    incident_id: '7',
    status: 'draft',
    title: incident.title,
    summary: facts.generated_summary,
    body: '',
    root_cause: '',
    went_well: '',
    went_badly: '',
    lessons: '',
    facts,
    due_at: '2026-03-04T09:00:00.000Z',
    overdue: false,
    version: 1,
    ...over,
  };
};

test('Markdown: parse(render(x)) gives the written fields back exactly', () => {
  const cases: Partial<PostmortemDocument>[] = [
    {},
    { root_cause: 'No rate limit on /login.', lessons: '- one\n- two', went_well: 'Fast ban.', went_badly: 'Slow page.', body: 'Notes.' },
    { root_cause: 'A heading-looking line in a fence:\n\n```\n## Notes\n```\n\nand after it.' },
    { lessons: '### A sub-heading is content\n\ntext\n\n## Not a known section\nstays in lessons' },
    { summary: 'Indented code:\n\n    ## still code', title: 'Title with | pipe and `code`' },
    { body: 'Trailing spaces and CRLF\r\nare normalized   \r\n' },
  ];
  for (const c of cases) {
    const d = doc(c);
    const parsed = parsePostmortem(renderPostmortem(d));
    const want = {
      title: d.title,
      summary: normalizeText(d.summary),
      root_cause: normalizeText(d.root_cause),
      went_well: normalizeText(d.went_well),
      went_badly: normalizeText(d.went_badly),
      lessons: normalizeText(d.lessons),
      body: normalizeText(d.body),
    };
    assert.deepEqual(parsed, want, JSON.stringify(c));
  }
});

test('Markdown: generated sections are rendered from the facts and ignored on import', () => {
  const md = renderPostmortem(doc({ overdue: true }), [
    {
      id: '5',
      title: 'Tune the limit',
      owner: 'bob',
      due: '2026-03-09T00:00:00.000Z',
      status: 'done',
      kind: 'runbook_update',
      runbook_file: 'runbooks/05-ddos.yaml',
    },
  ]);
  for (const re of [
    /^## Timeline \(generated\)$/m,
    /^\| 9 \| 2026-03-02T08:09:00\.000Z \| resolved \| alice \| resolved 9 \|$/m,
    /^\| Due \| 2026-03-04T09:00:00\.000Z \(overdue\) \|$/m,
    /^- \[x\] #5 Tune the limit \(update `runbooks\/05-ddos\.yaml`, owner bob/m,
    /evidence: `\{"value":600\}`/,
    /^## Root cause\n\n_Not written yet\._$/m,
  ]) {
    assert.match(md, re);
  }
  const edited = md
    .replace(/^\| 9 \|.*$/m, '| 9 | tampered |')
    .replace('## Root cause\n\n_Not written yet._', '## Root cause\n\nThe CDN was bypassed.');
  assert.deepEqual(parsePostmortem(edited).root_cause, 'The CDN was bypassed.');
  assert.equal(parsePostmortem('no headings at all').summary, undefined, 'absent sections are left alone');
});

test('Markdown: event text is inert: no heading, image, link, HTML or code-span escape from a hostile message', () => {
  const evil = [
    '\n# Injected heading',
    '![x](https://tracker.example/pixel.png)',
    '[click](javascript:alert(1))',
    '<script>alert(1)</script><img src=x onerror=alert(1)>',
    '<javascript:alert(1)>',
    '`` `code` ``| cell | break',
  ].join(' ');
  const f = draftFacts({ ...incident, title: `Brute force ${evil}` }, [
    ...timeline.map((e) => ({ ...e, message: `${e.message} ${evil}`, actor: `${e.actor}${evil}` })),
  ]);
  const md = renderPostmortem(
    doc({ title: `Brute force ${evil}`, facts: { ...f, detections: f.detections.map((d) => ({ ...d, evidence: { user: evil } })) } }),
    [{ id: '1', title: evil, owner: evil, due: null, status: 'open', kind: 'task', runbook_file: null }],
  );
  const outsideCode = md.replace(/(`+) [^\n]*? \1|(`+)[^`\n]*\2/g, '');
  assert.doesNotMatch(outsideCode, /(^|[^\\])<(script|img|javascript)/i, 'raw HTML or autolink');
  assert.doesNotMatch(outsideCode, /(^|[^\\])!?\[(click|x)(\\)?\]\(/, 'a link or image');
  assert.doesNotMatch(md, /^#+ Injected/m, 'a heading');
  for (const line of md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| id |') && l !== '| | |'))
    assert.equal(line.split(/(?<!\\)\|/).length, line.startsWith('| 1 |') || /^\| \d+ \|/.test(line) ? 7 : 4, `cells stay cells: ${line}`);
  // the title still reads back exactly
  assert.equal(parsePostmortem(md).title, `Brute force ${evil}`.replace(/\n/g, ' '));
});
