import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

const failed = (ip: string, sec: number) => ({ type: 'auth.login_failed', ts: `2026-03-02T08:00:${String(sec).padStart(2, '0')}.5Z`, ip });

for (const backend of testBackends()) {
  describe(`detections and dead letters API (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend);
      const ingest = await t.makeToken('ingest');
      // Three attackers, in this order; 5 failures each fire brute_force_attempt.
      for (const [i, ip] of ['203.0.113.1', '203.0.113.2', '203.0.113.3'].entries()) {
        const r = await t.call(
          'POST',
          '/api/v1/events',
          [0, 1, 2, 3, 4].map((s) => failed(ip, i * 10 + s)),
          ingest,
        );
        assert.equal(r.status, 202);
      }
      await t.fb.pipeline.drain();
    });
    after(() => t.close());

    test('every firing newest first, in the shape replay prints, with its incident; paged by cursor', async () => {
      const viewer = await t.makeToken('viewer');
      const all = await t.call('GET', '/api/v1/detections', undefined, viewer);
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body.items.map((d: { key: string; at: string; value: number; rule: string }) => [d.rule, d.key, d.at, d.value]),
        [
          ['brute_force_attempt', 'ip:203.0.113.3', '2026-03-02T08:00:24.5Z', 5],
          ['brute_force_attempt', 'ip:203.0.113.2', '2026-03-02T08:00:14.5Z', 5],
          ['brute_force_attempt', 'ip:203.0.113.1', '2026-03-02T08:00:04.5Z', 5],
        ],
      );
      const incidents = await t.call('GET', '/api/v1/incidents?type=brute_force_attempt');
      const byKey = new Map(incidents.body.items.map((i: { dedup_key: string; id: string }) => [i.dedup_key, i.id]));
      for (const d of all.body.items) assert.equal(d.incident_id, byKey.get(d.key), `${d.key} links its incident`);
      assert.equal(all.body.next_cursor, null);

      const p1 = await t.call('GET', '/api/v1/detections?limit=2', undefined, viewer);
      assert.equal(p1.body.items.length, 2);
      const p2 = await t.call('GET', `/api/v1/detections?limit=2&cursor=${p1.body.next_cursor}`, undefined, viewer);
      assert.deepEqual(
        p2.body.items.map((d: { key: string }) => d.key),
        ['ip:203.0.113.1'],
      );
      assert.equal(p2.body.next_cursor, null);

      const filtered = await t.call('GET', '/api/v1/detections?key=ip:203.0.113.2&rule=brute_force_attempt', undefined, viewer);
      assert.equal(filtered.body.items.length, 1);
      const since = await t.call('GET', '/api/v1/detections?since=2026-03-02T08:00:10Z', undefined, viewer);
      assert.equal(since.body.items.length, 2);
      assert.equal((await t.call('GET', '/api/v1/detections?since=yesterday', undefined, viewer)).status, 400);
      assert.equal((await t.call('GET', '/api/v1/detections?cursor=abc', undefined, viewer)).status, 400);
      assert.equal((await t.call('GET', '/api/v1/detections', undefined, await t.makeToken('ingest'))).status, 403);
    });

    test('dead letters: an event that cannot be stored is quarantined, listed for admins only, counted in health and metrics', async () => {
      // JSON.parse can build what JSON.stringify cannot write back: nesting past the encoder's stack.
      const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
      const body = `{"type":"auth.login_failed","ts":"2026-03-02T09:00:00Z","ip":"192.0.2.1","attrs":${deep}}\n{"type":"auth.login_failed","ts":"2026-03-02T09:00:01Z","ip":"192.0.2.2"}`;
      const r = await t.call('POST', '/api/v1/events', body, await t.makeToken('ingest'), { 'content-type': 'application/x-ndjson' });
      assert.equal(r.status, 202);
      if (r.body.rejected.length === 1) {
        // The validator refuses it up front (size/depth limits): a precise per-event rejection, never a dead
        // letter. The pipeline's own dead-letter path is tested in src/detect/pipeline.test.ts.
        assert.equal(r.body.rejected[0].index, 0);
      } else {
        assert.equal(r.body.accepted, 2);
        assert.equal(r.body.quarantined, 1);
        const letters = await t.call('GET', '/api/v1/dead-letters');
        assert.equal(letters.status, 200);
        assert.equal(letters.body.items.length, 1);
        assert.equal(letters.body.total.events, 1);
        assert.equal((await t.call('GET', '/api/v1/dead-letters', undefined, await t.makeToken('viewer'))).status, 403);
        const health = await t.call('GET', '/api/health/detailed');
        assert.equal(health.body.components.ingest.dead_letters, 1);
        const metrics = await t.call('GET', '/metrics');
        assert.match(String(metrics.body), /firebreak_dead_letter_events 1/);
      }
    });
  });
}
