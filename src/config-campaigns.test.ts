// Campaign settings: `rules.<name>.group` and `ranges`: defaults, overrides, and
// out-of-range values that stop start-up with their path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { resolveRules } from './domain/rules/default-rules.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-campaigns-'));
let n = 0;
const load = (yaml: string) => {
  const f = path.join(dir, `c${n++}.yaml`);
  writeFileSync(f, yaml);
  return loadConfig({ file: f, env: {} });
};
const problems = (yaml: string): string[] => {
  try {
    load(yaml);
  } catch (e) {
    assert.ok(e instanceof AppError);
    return (e.details ?? []).map((d) => `${d.path}: ${d.message}`);
  }
  assert.fail('expected the configuration to be refused');
};

test('defaults: the per-key security rules group in 10 minutes, the others do not; ranges 8 and 2', () => {
  const c = load('{}\n');
  assert.deepEqual(c.ranges, { ipv4_min: 8, ipv6_min: 2 });
  const groups = Object.fromEntries(resolveRules(c.rules).map((r) => [r.name, r.groupWindowUs ?? null]));
  assert.deepEqual(groups, {
    brute_force_attempt: 600_000_000,
    account_compromise: null,
    ddos: 600_000_000,
    credential_stuffing: 600_000_000,
    high_error_rate: null,
    performance_degradation: null,
    database_connection_failure: null,
    data_corruption: null,
    scanner: 600_000_000,
  });
});

test('group: a window, or false; ranges overridden', () => {
  const c = load(
    'rules:\n  brute_force_attempt: { group: { window: 30m } }\n  ddos: { group: false }\nranges: { ipv4_min: 16, ipv6_min: 4 }\n',
  );
  const rules = resolveRules(c.rules);
  assert.equal(rules.find((r) => r.name === 'brute_force_attempt')!.groupWindowUs, 1_800_000_000);
  assert.equal(rules.find((r) => r.name === 'ddos')!.groupWindowUs, undefined);
  assert.deepEqual(c.ranges, { ipv4_min: 16, ipv6_min: 4 });
});

test('out-of-range values are refused with their path', () => {
  const got = problems(
    [
      'rules:',
      '  brute_force_attempt: { group: { window: 0s } }',
      '  ddos: { group: { window: 30d } }',
      '  credential_stuffing: { group: true }',
      'ranges: { ipv4_min: 1, ipv6_min: 0.5 }',
      '',
    ].join('\n'),
  );
  const paths = got.map((p) => p.split(':')[0]);
  for (const want of [
    'rules.brute_force_attempt.group.window',
    'rules.ddos.group.window',
    'rules.credential_stuffing.group',
    'ranges.ipv4_min',
    'ranges.ipv6_min',
  ])
    assert.ok(paths.includes(want), `${want} in ${JSON.stringify(got)}`);
  assert.ok(problems('ranges: { ipv4_min: 300 }\n').some((p) => p.startsWith('ranges.ipv4_min')));
});
