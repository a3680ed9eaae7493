// The rule engine's memory: stale keys leave as new ones come, and at the key
// cap the stalest key makes room, so a flood from a new address right after a
// cardinality attack is still detected (issue "Faults", item 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FbEvent } from '../event.ts';
import { RuleEngine } from './rule-engine.ts';
import { resolveRules } from './default-rules.ts';

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0) * 1000 + 218_229; // microseconds
const totals = (e: RuleEngine) => {
  const { keys, evictedKeys, droppedKeys } = e.stats();
  return { keys, evictedKeys, droppedKeys };
};
const brute = resolveRules({}).filter((r) => r.name === 'brute_force_attempt');
const W = brute[0]!.windowUs;
const failed = (t: number, ip: string): FbEvent => ({ type: 'auth.login_failed', tsUs: t, ip });

test('at the cap the stalest key makes room and is counted as dropped; stale keys go as new ones come', () => {
  const engine = new RuleEngine(brute, { maxKeysPerRule: 3 });
  for (let n = 0; n < 5; n++) engine.process(failed(T0 + n, `10.0.0.${n}`));
  assert.deepEqual(totals(engine), { keys: 3, evictedKeys: 2, droppedKeys: 2 });
  const [r] = engine.stats().rules;
  assert.deepEqual(r, { rule: 'brute_force_attempt', keys: 3, maxKeys: 3, evictedKeys: 2, droppedKeys: 2, dropping: true });
  // 10.0.0.2 was the stalest left; 10.0.0.4 is kept: four more events of it fire (5 in all).
  let fired = 0;
  for (let i = 0; i < 4; i++) fired += engine.process(failed(T0 + 10 + i, '10.0.0.4')).length;
  assert.equal(fired, 1);
  // A window later the old keys are stale: new keys evict them, nothing live is lost.
  engine.process(failed(T0 + W + 5, '10.0.0.9'));
  assert.deepEqual(totals(engine), { keys: 2, evictedKeys: 4, droppedKeys: 2 });
  assert.equal(engine.stats().rules[0]!.dropping, false, 'no drop within the last window');
});

test('a key in its cooldown is kept over stale keys, and is stale itself once the cooldown ends', () => {
  const cd = brute[0]!.cooldownUs;
  const engine = new RuleEngine(brute);
  for (let i = 0; i < 5; i++) engine.process(failed(T0 + i, '203.0.113.5'));
  // A window later (cooldown still running): new keys evict nothing live.
  for (let n = 0; n < 10; n++) engine.process(failed(T0 + W + n, `10.1.0.${n}`));
  assert.equal(engine.process(failed(T0 + W + 20, '203.0.113.5')).length, 0, 'still quiet');
  assert.equal(totals(engine).keys, 11);
  // After the cooldown and another window, the next new keys evict it and the others.
  for (let n = 0; n < 10; n++) engine.process(failed(T0 + cd + W + n, `10.2.0.${n}`));
  assert.ok(totals(engine).keys <= 10, JSON.stringify(totals(engine)));
  assert.equal(totals(engine).droppedKeys, 0);
});

test('20,000 keys, each stale when the next arrives: the table stays small without sweeps', () => {
  const engine = new RuleEngine(brute);
  for (let n = 0; n < 20_000; n++) engine.process(failed(T0 + n * W, `2001:db8::${n.toString(16)}`));
  const st = totals(engine);
  assert.ok(st.keys <= 2, JSON.stringify(st));
  assert.equal(st.evictedKeys, 20_000 - st.keys);
  assert.equal(st.droppedKeys, 0);
  // Keys inside their window are never evicted below the cap: a burst over many keys still fires.
  const live = new RuleEngine(brute);
  let fired = 0;
  for (let round = 0; round < 5; round++)
    for (let n = 0; n < 10_000; n++) fired += live.process(failed(T0 + round, `2001:db8::${n.toString(16)}`)).length;
  assert.equal(fired, 10_000);
});

test('after 1.2 M distinct addresses in a minute, a new 700-request flood is detected (ddos)', () => {
  const rules = resolveRules({}).filter((r) => r.name === 'ddos');
  const engine = new RuleEngine(rules); // the default cap: 1,000,000 keys per rule
  const N = 1_200_000;
  // 1.2 M addresses, one request each, spread over 50 s of event time.
  for (let n = 0; n < N; n++) {
    const ev: FbEvent = {
      type: 'http.request',
      tsUs: T0 + Math.floor((n * 50_000_000) / N),
      ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    };
    engine.process(ev);
  }
  const st = engine.stats();
  assert.equal(st.keys, 1_000_000, 'the table is full');
  assert.equal(st.droppedKeys, 200_000, 'the 200,000 stalest (one request each) made room');
  assert.deepEqual(
    st.rules.map((r) => [r.rule, r.dropping]),
    [['ddos', true]],
  );
  // Then 700 requests from a new address in the next 5 seconds: fires at the 600th.
  const at: number[] = [];
  for (let i = 0; i < 700; i++) {
    const t = T0 + 50_000_000 + i * 7_000;
    for (const d of engine.process({ type: 'http.request', tsUs: t, ip: '198.51.100.77', status: 200 })) {
      assert.equal(d.key, 'ip:198.51.100.77');
      at.push(i + 1);
    }
  }
  assert.deepEqual(at, [600], 'detected once, at the threshold');
});
