import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEventBatch, encodeEvents } from './event-repo.ts';

test('a stored batch decodes both shapes, and counts a stored event that no longer validates instead of dropping it silently', () => {
  const fb = encodeEvents([{ type: 'auth.login_failed', tsUs: 1_700_000_000_000_000, ip: '192.0.2.1' }]);
  const raw = '{"type":"auth.login_failed","ts":"2026-12-06T08:00:00Z","ip":"192.0.2.2"}';
  const stale = '{"type":"auth.login_failed","ts":"yesterday","ip":"192.0.2.3"}';
  const invalid = { n: 0, first: null as string | null };
  const evs = decodeEventBatch(`[${fb},${raw},${stale}]`, invalid);
  assert.deepEqual(
    evs.map((e) => e.ip),
    ['192.0.2.1', '192.0.2.2'],
  );
  assert.equal(evs[1]!.tsUs, Date.parse('2026-12-06T08:00:00Z') * 1000);
  assert.equal(invalid.n, 1);
  assert.match(invalid.first ?? '', /ts/);
});
