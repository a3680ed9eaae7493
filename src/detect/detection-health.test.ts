import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createDetectionHealth, type DetectionHealthSource } from './detection-health.ts';
import { emptyPipelineStats } from './pipeline.ts';
import { startTestFirebreak, type TestFirebreak } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';

function fakeSource() {
  const s = emptyPipelineStats();
  const rule = { rule: 'ddos', keys: 10, maxKeys: 10, evictedKeys: 0, droppedKeys: 0, dropping: false };
  const source: DetectionHealthSource = {
    stats: () => s,
    engineStats: () => ({ keys: rule.keys, evictedKeys: rule.evictedKeys, droppedKeys: rule.droppedKeys, rules: [{ ...rule }] }),
  };
  return { s, rule, source };
}

test('a storage error is degraded until a batch is stored again, then ok with no last_error', async () => {
  const { s, source } = fakeSource();
  const check = createDetectionHealth(source, ['ddos']);
  assert.equal((await check()).status, 'ok');
  Object.assign(s, { persistErrors: 3, lastPersistError: 'Connection terminated unexpectedly', pendingPersist: 500 });
  let h = await check();
  assert.equal(h.status, 'degraded');
  assert.equal(h.last_error, 'Connection terminated unexpectedly');
  // Recovery: the buffer is stored; under load something is always pending.
  Object.assign(s, { persisted: 900, pendingPersist: 120 });
  h = await check();
  assert.equal(h.status, 'ok');
  assert.equal(h.last_error, undefined);
  assert.equal(h.store_errors, 3, 'the count stays, for the record');
  // A new failure after the recovery is current again.
  Object.assign(s, { persistErrors: 4, lastPersistError: 'disk full' });
  h = await check();
  assert.equal(h.status, 'degraded');
  assert.equal(h.last_error, 'disk full');
});

test('a rule dropping live keys at its cap is degraded, with its name; a window later ok again', async () => {
  const { rule, source } = fakeSource();
  const check = createDetectionHealth(source, ['ddos']);
  Object.assign(rule, { droppedKeys: 7, evictedKeys: 7, dropping: true });
  let h = await check();
  assert.equal(h.status, 'degraded');
  assert.deepEqual(h.dropping_rules, ['ddos']);
  assert.match((h.problems as string[])[0]!, /rule ddos is at its key cap \(10\): 7 live keys/);
  assert.deepEqual(h.key_cap, { ddos: { keys: 10, max_keys: 10, dropped_keys: 7, dropping: true } });
  rule.dropping = false;
  h = await check();
  assert.equal(h.status, 'ok');
  assert.equal(h.dropped_keys, 7);
});

for (const backend of testBackends()) {
  describe(`key cap in /api/health/detailed (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend, { configYaml: { detection: { max_keys: 1000 } } });
    });
    after(() => t.close());

    test('more distinct addresses than detection.max_keys: degraded, naming the rule', async () => {
      const ingest = await t.makeToken('ingest');
      const events = Array.from({ length: 1500 }, (_, n) => ({
        type: 'http.request',
        ts: `2026-03-02T08:00:${String(Math.floor(n / 100)).padStart(2, '0')}Z`,
        ip: `10.9.${n >> 8}.${n & 255}`,
        status: 200,
      }));
      assert.equal((await t.call('POST', '/api/v1/events', events, ingest)).status, 202);
      await t.fb.pipeline.drain();
      const h = (await t.call('GET', '/api/health/detailed', undefined, null)).body.components.detection;
      assert.equal(h.status, 'degraded');
      assert.deepEqual(h.dropping_rules, ['ddos']);
      assert.equal(h.key_cap.ddos.max_keys, 1000);
      assert.equal(h.key_cap.ddos.dropped_keys, 500);
    });
  });
}
