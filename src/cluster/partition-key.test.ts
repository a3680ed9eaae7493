import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Detection, FbEvent } from '../domain/event.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import { PartitionRouter, hashKey, partitionOfKey, ruleKeyOf } from './partition-key.ts';
import { PartitionEngine } from './partition-engine.ts';

const rules = resolveRules({});
const byName = (n: string) => rules.find((r) => r.name === n)!;

test('rule keys: ip, user and global; an event without the key field has none', () => {
  const ev: FbEvent = { type: 'auth.login_failed', tsUs: 1, ip: '203.0.113.5', user_id: 'alice' };
  assert.equal(ruleKeyOf(byName('brute_force_attempt'), ev), 'ip:203.0.113.5');
  assert.equal(ruleKeyOf(byName('account_compromise'), ev), 'user:alice');
  assert.equal(ruleKeyOf(byName('high_error_rate'), ev), 'global');
  assert.equal(ruleKeyOf(byName('brute_force_attempt'), { type: 'auth.login_failed', tsUs: 1 }), null);
});

test('the hash is stable (FNV-1a): a change would move every key between partitions', () => {
  assert.equal(hashKey(''), 0x811c9dc5);
  assert.equal(hashKey('a'), 0xe40c292c);
  assert.equal(partitionOfKey('global', 16), hashKey('global') % 16);
});

test('an event goes to the partition of each key its rules use, and nowhere when no rule looks at it', () => {
  const router = new PartitionRouter(rules, 16);
  const req: FbEvent = { type: 'http.request', tsUs: 1, ip: '198.51.100.1', status: 500 };
  // ddos (ip) + high_error_rate and performance_degradation (global).
  assert.deepEqual(
    [...router.partitionsOf(req)].sort((a, b) => a - b),
    [...new Set([partitionOfKey('ip:198.51.100.1', 16), partitionOfKey('global', 16)])].sort((a, b) => a - b),
  );
  assert.equal(router.partitionsOf({ type: 'something.else', tsUs: 1 }).size, 0);
});

test('partition engines together find exactly what one engine finds, whatever the partition count', () => {
  // Events that reach a partition through another rule's key must not count there.
  const events: FbEvent[] = [];
  let t = 1_000_000_000_000_000;
  for (let i = 0; i < 4000; i++) {
    t += 1_000_000 + ((i * 7919) % 3_000_000);
    const ip = `203.0.113.${(i * 31) % 23}`;
    const k = i % 10;
    if (k < 4) events.push({ type: 'auth.login_failed', tsUs: t, ip, user_id: `u${i % 7}` });
    else if (k < 6) events.push({ type: 'auth.login_succeeded', tsUs: t, ip, user_id: `u${i % 5}` });
    else events.push({ type: 'http.request', tsUs: t, ip, status: i % 9 === 0 ? 503 : 200, latency_ms: (i * 13) % 3000 });
  }
  const one = new RuleEngine(rules);
  const expected = events.flatMap((e) => one.process(e)).map(show);
  assert.ok(expected.length > 20, `the events fire rules (${expected.length})`);
  for (const p of [1, 3, 16]) {
    const router = new PartitionRouter(rules, p);
    const engines = Array.from({ length: p }, (_, i) => new PartitionEngine(i, router));
    const got: Detection[] = [];
    for (const e of events) for (const part of router.partitionsOf(e)) engines[part]!.process(e, got);
    assert.deepEqual(got.map(show).sort(), expected.slice().sort(), `${p} partitions`);
  }
});

const show = (d: Detection) => `${d.atUs} ${d.rule} ${d.key} ${d.value}`;
