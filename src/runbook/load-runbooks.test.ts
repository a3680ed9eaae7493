import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '../errors.ts';
import { builtinRunbooksDir, loadRunbookFiles, loadRunbooks, parseRunbookText } from './load-runbooks.ts';

const DEFAULT_RULES = [
  'database_connection_failure',
  'high_error_rate',
  'brute_force_attempt',
  'account_compromise',
  'ddos',
  'performance_degradation',
  'data_corruption',
  'credential_stuffing', // Firebreak's addition after the seed's sections (runbooks/08-credential-stuffing.yaml)
];
const SEED_TYPES = DEFAULT_RULES;

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-runbooks-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Runs fn, expects AppError('invalid'), returns its details. */
function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, 'invalid', err.message);
    return (err.details ?? []).map((d) => ({ path: d.path ?? '', message: d.message }));
  }
  assert.fail('expected an AppError');
}

test('the built-in pack loads, validates against the default rules, and covers every seed section in seed order', () => {
  const map = loadRunbooks({ builtinDir: builtinRunbooksDir(), knownRules: DEFAULT_RULES, knownProbes: [] });
  assert.deepEqual([...map.keys()], SEED_TYPES);
  for (const rb of map.values()) {
    assert.ok(rb.immediate_actions.length > 0, rb.type);
    assert.ok(rb.post_incident.length === 3, rb.type);
  }
  const db = map.get('database_connection_failure')!;
  const cmd = db.immediate_actions.find((s) => s.id === 'check-database-query')!;
  assert.ok('command' in cmd && cmd.approval === 'none' && cmd.timeout === 15_000);
  const restart = db.immediate_actions.find((s) => s.id === 'restart-database-service')!;
  assert.ok('command' in restart && restart.approval === 'required');
  const bf = map.get('brute_force_attempt')!;
  assert.deepEqual(
    bf.immediate_actions.map((s) => ('action' in s ? s.action : 'manual' in s ? 'manual' : 'command')),
    ['block_ip', 'lock_account', 'manual', 'notify'],
  );
  assert.equal(bf.category, 'Security Incidents');
  const block = bf.immediate_actions[0]!;
  assert.ok('action' in block);
  assert.deepEqual(block.params, { duration_ms: 3_600_000 }, "duration becomes duration_ms, like the rules' actions");
});

const GOOD = `type: custom_thing
title: Custom Thing
severity: low
immediate_actions:
  - id: ping
    title: Ping
    command: echo hi
verification:
  - id: ok
    title: ok
    rule: custom_rule
    below_for: 5m
`;

test('user files add runbooks and override built-in ones by type, keeping the built-in position', () => {
  const user = tempDir({
    'a.yaml': GOOD,
    'b.yml': 'type: ddos\ntitle: Our DDoS\nseverity: critical\n',
    'notes.txt': 'ignored',
  });
  const files = loadRunbookFiles({ builtinDir: builtinRunbooksDir(), userDir: user });
  assert.equal(files.get('ddos')!.runbook.title, 'Our DDoS');
  assert.equal(files.get('ddos')!.origin, 'user');
  assert.equal(files.get('ddos')!.file, path.join(user, 'b.yml'));
  assert.equal(files.get('high_error_rate')!.origin, 'builtin');
  const keys = [...files.keys()];
  assert.equal(keys.indexOf('ddos'), SEED_TYPES.indexOf('ddos'));
  assert.equal(keys.at(-1), 'custom_thing');
  const step = files.get('custom_thing')!.runbook.immediate_actions[0]!;
  assert.ok('command' in step && step.approval === 'required' && step.timeout === 60_000, 'defaults apply');
});

// Each case: a file text, and the [line, message fragment] problems expected, in order.
const BROKEN: { name: string; text: string; want: [number, string][]; refs?: { knownProbes?: string[]; knownRules?: string[] } }[] = [
  { name: 'malformed YAML', text: 'type: x\ntitle: a: b\nseverity: low\n', want: [[2, 'malformed YAML']] },
  { name: 'not a mapping', text: '- a\n- b\n', want: [[1, 'must be a mapping']] },
  {
    name: 'unknown action, on its line',
    text: 'type: x\ntitle: X\nseverity: low\nimmediate_actions:\n  - id: a\n    title: A\n    action: ban_ip\n',
    want: [[7, 'unknown action "ban_ip"']],
  },
  {
    name: 'bad duration in action params',
    text: 'type: x\ntitle: X\nseverity: low\nimmediate_actions:\n  - id: a\n    title: A\n    action: block_ip\n    params:\n      duration: forever\n',
    want: [[9, '"forever" is not a duration']],
  },
  {
    name: 'unknown step kind',
    text: 'type: x\ntitle: X\nseverity: low\nimmediate_actions:\n  - id: a\n    title: A\n    manual: fine\n  - id: b\n    title: B\n    script: rm -rf /\n',
    want: [[8, 'unknown step kind']],
  },
  {
    name: 'two kinds in one step',
    text: 'type: x\ntitle: X\nseverity: low\nimmediate_actions:\n  - id: a\n    title: A\n    manual: m\n    command: c\n',
    want: [[5, 'exactly one kind']],
  },
  {
    name: 'duplicate step id',
    text: 'type: x\ntitle: X\nseverity: low\nimmediate_actions:\n  - id: a\n    title: A\n    manual: m\n  - id: a\n    title: B\n    manual: n\n',
    want: [[8, 'duplicate id "a"']],
  },
  {
    name: 'unknown keys at top level and in a step, each on its own line',
    text: 'type: x\ntitle: X\nseverity: low\nowner: bob\nimmediate_actions:\n  - id: a\n    title: A\n    command: c\n    aproval: none\n',
    want: [
      [9, 'unknown key "aproval"'],
      [4, 'unknown key "owner"'],
    ],
  },
  {
    name: 'missing probe and rule when lists are given',
    text: 'type: x\ntitle: X\nseverity: low\nverification:\n  - id: p\n    title: P\n    probe: db\n  - id: r\n    title: R\n    rule: nope\n    below_for: 5m\n',
    refs: { knownProbes: ['api'], knownRules: ['high_error_rate'] },
    want: [
      [7, 'unknown probe "db"'],
      [10, 'unknown rule "nope"'],
    ],
  },
  {
    name: 'several problems at once: bad severity, bad duration, missing title',
    text: 'type: x\nseverity: urgent\nimmediate_actions:\n  - id: a\n    title: A\n    command: c\n    timeout: soon\n',
    want: [
      [1, 'missing required key "title"'],
      [2, 'severity'],
      [7, '"soon" is not a duration'],
    ],
  },
  {
    name: 'auto_resolve without an automated check',
    text: 'type: x\ntitle: X\nseverity: low\nauto_resolve: true\nverification:\n  - id: m\n    title: M\n    manual: look\n',
    want: [[4, 'auto_resolve needs']],
  },
];

for (const c of BROKEN) {
  test(`broken file: ${c.name}`, () => {
    const res = parseRunbookText('f.yaml', c.text, c.refs);
    assert.equal(res.runbook, undefined);
    const got = res.problems
      .map((p) => ({ line: Number(/^f\.yaml:(\d+):\d+$/.exec(p.path ?? '')?.[1]), message: p.message }))
      .sort((a, b) => a.line - b.line);
    const want = [...c.want].sort((a, b) => a[0] - b[0]);
    assert.equal(got.length, want.length, JSON.stringify(res.problems));
    want.forEach(([line, fragment], i) => {
      assert.equal(got[i]!.line, line, `${fragment}: ${JSON.stringify(res.problems)}`);
      assert.ok(got[i]!.message.includes(fragment) || (fragment === 'severity' && /critical/.test(got[i]!.message)), got[i]!.message);
    });
  });
}

test('problems are reported with the file path, for every broken file, in one AppError', () => {
  const user = tempDir({
    '1.yaml': 'type: x\ntitle: X\nseverity: low\nimmediate_actions:\n  - id: a\n    title: A\n    action: nuke\n',
    '2.yaml': 'type: [\n',
  });
  const details = problemsOf(() => loadRunbooks({ builtinDir: builtinRunbooksDir(), userDir: user }));
  assert.equal(details.length, 2);
  assert.match(details[0]!.path, new RegExp(`^${path.join(user, '1.yaml').replace(/[.\\]/g, '\\$&')}:7:13$`));
  assert.ok(details[1]!.path.startsWith(path.join(user, '2.yaml') + ':'));
});

test('the same type twice in one directory is an error pointing at the second file', () => {
  const user = tempDir({ 'a.yaml': GOOD, 'b.yaml': `# copy\n${GOOD}` });
  const details = problemsOf(() => loadRunbooks({ builtinDir: builtinRunbooksDir(), userDir: user }));
  assert.equal(details.length, 1);
  assert.equal(details[0]!.path, `${path.join(user, 'b.yaml')}:2:1`);
  assert.match(details[0]!.message, /already defined in .*a\.yaml/);
});

test('a missing user directory is invalid input', () => {
  const dir = tempDir({});
  mkdirSync(path.join(dir, 'empty'));
  assert.equal(loadRunbooks({ builtinDir: path.join(dir, 'empty') }).size, 0);
  const details = problemsOf(() => loadRunbooks({ builtinDir: path.join(dir, 'empty'), userDir: path.join(dir, 'nope') }));
  assert.equal(details[0]!.path, path.join(dir, 'nope'));
});

test('builtinRunbooksDir points at the repository runbooks folder', () => {
  assert.equal(path.basename(builtinRunbooksDir().replace(/[\\/]$/, '')), 'runbooks');
});
