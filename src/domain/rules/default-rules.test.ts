import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_RULES, resolveRules } from './default-rules.ts';
import type { RuleOverrideInput, RuleSpec } from './rule-spec.ts';
import { AppError } from '../../errors.ts';
import { loadConfig, type RuleOverride } from '../../config.ts';

const S = 1_000_000;
const byName = (rules: RuleSpec[]) => new Map(rules.map((r) => [r.name, r]));

test('the seven default rules of docs/design.md', () => {
  const want: [string, string, string, string, number, string, number, number, string][] = [
    // name, event types, key, value, threshold, op, window s, cooldown s, severity
    ['brute_force_attempt', 'auth.login_failed', 'ip', 'count', 5, 'gte', 600, 3600, 'high'],
    ['account_compromise', 'auth.login_succeeded', 'user_id', 'distinct:ip', 3, 'gte', 3600, 3600, 'critical'],
    ['ddos', 'http.request', 'ip', 'count', 600, 'gte', 60, 600, 'high'],
    ['credential_stuffing', 'auth.login_failed', 'user_id', 'distinct:ip', 10, 'gte', 600, 3600, 'high'],
    ['high_error_rate', 'app.error,http.request[status gte 500]', 'global', 'count', 11, 'gte', 60, 60, 'high'],
    ['performance_degradation', 'http.request', 'global', 'percentile:latency_ms:95:20', 2000, 'gt', 300, 300, 'high'],
    ['database_connection_failure', 'db.connection_error', 'global', 'count', 5, 'gte', 60, 60, 'critical'],
    ['data_corruption', 'data.integrity_error', 'global', 'count', 1, 'gte', 60, 60, 'critical'],
  ];
  const got = resolveRules({}).map((r) => [
    r.name,
    r.match.map((m) => m.type + (m.where ? `[${m.where.map((w) => `${w.field} ${w.op} ${w.value}`).join(',')}]` : '')).join(','),
    r.key,
    r.value.kind === 'count'
      ? 'count'
      : r.value.kind === 'distinct'
        ? `distinct:${r.value.field}`
        : `percentile:${r.value.field}:${r.value.p}:${r.value.min_samples}`,
    r.threshold,
    r.op,
    r.windowUs / S,
    r.cooldownUs / S,
    r.severity,
  ]);
  assert.deepEqual(got, want);
  const d = byName(resolveRules({}));
  assert.deepEqual(
    d.get('brute_force_attempt')!.actions.map((a) => a.action),
    ['block_ip', 'notify'],
  );
  assert.deepEqual(d.get('brute_force_attempt')!.actions[0]!.params, { duration_ms: 3_600_000 });
  assert.deepEqual(
    d.get('account_compromise')!.actions.map((a) => a.action),
    ['lock_account', 'revoke_sessions', 'force_password_reset', 'notify'],
  );
  assert.deepEqual(d.get('ddos')!.actions, [{ action: 'rate_limit', params: { duration_ms: 600_000 } }]);
  assert.ok(Object.isFrozen(DEFAULT_RULES[0]!.actions[0]!.params));
});

test('overrides: numbers, enabled: false, ban drives cooldown and durations', () => {
  const r = byName(
    resolveRules({
      brute_force_attempt: { threshold: 3, window: 120_000, ban: 7_200_000 },
      ddos: { ban: 60_000, cooldown: 5_000 },
      high_error_rate: { window: 30_000 },
      performance_degradation: { min_samples: 50, threshold: 1000 },
      data_corruption: { enabled: false },
    }),
  );
  assert.equal(r.has('data_corruption'), false);
  const bf = r.get('brute_force_attempt')!;
  assert.deepEqual([bf.threshold, bf.windowUs, bf.cooldownUs, bf.banMs], [3, 120 * S, 7200 * S, 7_200_000]);
  assert.deepEqual(bf.actions[0], { action: 'block_ip', params: { duration_ms: 7_200_000 } });
  const dd = r.get('ddos')!;
  assert.deepEqual([dd.cooldownUs, dd.banMs, dd.actions[0]!.params!.duration_ms], [5 * S, 60_000, 60_000]);
  assert.equal(r.get('high_error_rate')!.cooldownUs, 30 * S, 'a rule that does not ban cools down for its window');
  const pd = r.get('performance_degradation')!;
  assert.deepEqual([pd.threshold, pd.value], [1000, { kind: 'percentile', field: 'latency_ms', p: 95, min_samples: 50 }]);
  assert.equal(DEFAULT_RULES[0]!.threshold, 5, 'defaults are not mutated');
});

test('custom rules and configured actions', () => {
  const rules = resolveRules({
    login_spray: {
      match: [{ type: 'auth.login_failed' }],
      key: 'user_id',
      value: { kind: 'distinct', field: 'ip' },
      threshold: 10,
      window: 600_000,
      ban: 1_800_000,
      actions: [{ action: 'block_ip', duration: '2h' }, { action: 'notify', target: 'security' }, { action: 'rate_limit' }],
    },
  });
  const c = byName(rules).get('login_spray')!;
  assert.equal(rules.length, DEFAULT_RULES.length + 1);
  assert.deepEqual(c, {
    name: 'login_spray',
    description: 'Custom rule login_spray',
    incident_type: 'login_spray',
    severity: 'high',
    match: [{ type: 'auth.login_failed' }],
    key: 'user_id',
    value: { kind: 'distinct', field: 'ip' },
    threshold: 10,
    op: 'gte',
    windowUs: 600 * S,
    cooldownUs: 1800 * S,
    banMs: 1_800_000,
    actions: [
      { action: 'block_ip', params: { duration_ms: 7_200_000 } },
      { action: 'notify', params: { target: 'security' } },
      { action: 'rate_limit', params: { duration_ms: 1_800_000 } },
    ],
  });
});

test('every problem is reported with its path', () => {
  try {
    resolveRules({
      half_rule: { threshold: 3 },
      ddos: { window: 0, min_samples: 3, actions: [{ target: 'x' }] },
      off_and_incomplete: { enabled: false },
    });
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof AppError && e.code === 'invalid');
    assert.deepEqual(e.details!.map((d) => d.path).sort(), [
      'rules.ddos.actions[0]',
      'rules.ddos.min_samples',
      'rules.ddos.window',
      'rules.half_rule.key',
      'rules.half_rule.match',
      'rules.half_rule.value',
      'rules.half_rule.window',
    ]);
  }
});

test('config.ts rules: parse into what resolveRules takes (durations in ms)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-rules-'));
  try {
    const f = path.join(dir, 'c.yaml');
    writeFileSync(f, 'rules:\n  brute_force_attempt: { threshold: 5, window: 10m, ban: 2h }\n');
    const overrides: Record<string, RuleOverride> = loadConfig({ file: f, env: {} }).rules;
    const input: Record<string, RuleOverrideInput> = overrides; // type compatibility
    const bf = byName(resolveRules(input)).get('brute_force_attempt')!;
    assert.deepEqual([bf.windowUs, bf.cooldownUs, bf.banMs], [600 * S, 7200 * S, 7_200_000]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
