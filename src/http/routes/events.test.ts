import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { decodeEventBatch } from '../../store/event-repo.ts';
import { inflateRawSync } from 'node:zlib';

const failed = (ip: string, sec: number) => ({
  type: 'auth.login_failed',
  ts: `2026-03-02T08:00:${String(sec).padStart(2, '0')}Z`,
  ip,
  user_id: 'root',
});

for (const backend of testBackends()) {
  describe(`events ingestion and live detection (${backend})`, () => {
    let t: TestFirebreak;
    let ingest: string;
    before(async () => {
      t = await startTestFirebreak(backend, { configYaml: { events: { queue_limit: 1000 } } });
      ingest = await t.makeToken('ingest');
    });
    after(() => t.close());

    test('five failed logins from one address open one brute_force_attempt incident', async () => {
      const four = [0, 1, 2, 3].map((s) => failed('203.0.113.5', s));
      const r1 = await t.call('POST', '/api/v1/events', four, ingest);
      assert.equal(r1.status, 202);
      assert.deepEqual(r1.body, { accepted: 4, rejected: [] });
      await t.fb.pipeline.drain();
      let list = await t.call('GET', '/api/v1/incidents?type=brute_force_attempt');
      assert.equal(list.body.items.length, 0, 'one short of the threshold: nothing');
      await t.call('POST', '/api/v1/events', [failed('203.0.113.5', 4)], ingest);
      await t.fb.pipeline.drain();
      list = await t.call('GET', '/api/v1/incidents?type=brute_force_attempt');
      assert.equal(list.body.items.length, 1);
      const inc = list.body.items[0];
      assert.equal(inc.dedup_key, 'ip:203.0.113.5');
      assert.equal(inc.severity, 'high');
      assert.equal(inc.detected_at, '2026-03-02T08:00:04.000Z');
      // more attempts during the cooldown: no second incident
      await t.call(
        'POST',
        '/api/v1/events',
        [5, 6, 7, 8, 9, 10].map((s) => failed('203.0.113.5', s)),
        ingest,
      );
      await t.fb.pipeline.drain();
      list = await t.call('GET', '/api/v1/incidents?type=brute_force_attempt');
      assert.equal(list.body.items.length, 1);
    });

    test('NDJSON, bad events rejected by position, good ones kept', async () => {
      const body = [
        JSON.stringify(failed('198.51.100.1', 0)),
        '{not json',
        JSON.stringify({ type: 'auth.login_failed', ts: 'yesterday', ip: '198.51.100.1' }),
        JSON.stringify({ type: 'auth.login_failed', ts: '2026-03-02T08:00:01Z', ip: '999.1.1.1' }),
        JSON.stringify({ type: 'http.request', ts: '2026-03-02T08:00:01Z', ip: '2001:DB8:0:0:0:0:0:1', status: 200 }),
      ].join('\n');
      const r = await t.call('POST', '/api/v1/events', body, ingest, { 'content-type': 'application/x-ndjson' });
      assert.equal(r.status, 202);
      assert.equal(r.body.accepted, 2);
      assert.deepEqual(
        r.body.rejected.map((x: { index: number }) => x.index),
        [1, 2, 3],
      );
      assert.match(r.body.rejected[1].error, /ts/);
      assert.match(r.body.rejected[2].error, /ip/);
      // Stored as the line was sent, read back as the FbEvent the rules saw.
      const rows = (await t.fb.deps.db.query<{ data: string }>('SELECT data FROM event_batches')).rows;
      assert.ok(rows.some((row) => inflateRawSync(Buffer.from(row.data, 'base64')).toString().includes(body.split('\n')[0]!)));
      const stored = rows.flatMap((row) => decodeEventBatch(row.data)).filter((e) => e.ip === '198.51.100.1');
      assert.deepEqual(stored, [
        { type: 'auth.login_failed', tsUs: Date.parse('2026-03-02T08:00:00Z') * 1000, ip: '198.51.100.1', user_id: 'root' },
      ]);
      const arr = await t.call('POST', '/api/v1/events', [failed('198.51.100.2', 0), { type: 5 }, 'x'], ingest);
      assert.equal(arr.body.accepted, 1);
      assert.deepEqual(
        arr.body.rejected.map((x: { index: number }) => x.index),
        [1, 2],
      );
    });

    test('roles, malformed bodies, over capacity', async () => {
      assert.equal((await t.call('POST', '/api/v1/events', [failed('198.51.100.3', 0)], await t.makeToken('viewer'))).status, 403);
      assert.equal((await t.call('POST', '/api/v1/events', [failed('198.51.100.3', 0)], null)).status, 401);
      assert.equal((await t.call('POST', '/api/v1/events', '[{"type":', ingest)).status, 400);
      assert.equal((await t.call('POST', '/api/v1/events', '42', ingest)).status, 400);
      // Over the queue limit (1000 events waiting to be stored): 429 with Retry-After, nothing accepted.
      // A transaction holding a lock on the events table keeps the first request waiting for its write.
      let release!: () => void;
      let held!: () => void;
      const holding = new Promise<void>((r) => (held = r));
      const hold = t.fb.deps.db.tx(async (q) => {
        await q.query('LOCK TABLE event_batches IN EXCLUSIVE MODE');
        held();
        await new Promise<void>((r) => (release = r));
      });
      await holding;
      const before = t.fb.pipeline.stats().accepted;
      const batch = (k: number) => Array.from({ length: 600 }, (_, i) => failed(`10.${k}.${i >> 8}.${i & 255}`, 0));
      const first = t.call('POST', '/api/v1/events', batch(1), ingest);
      while (t.fb.pipeline.stats().pendingPersist === 0) await new Promise((r) => setImmediate(r));
      const r = await t.call('POST', '/api/v1/events', batch(2), ingest);
      assert.equal(r.status, 429);
      assert.equal(r.headers['retry-after'], '1');
      release();
      await hold;
      assert.equal((await first).status, 202, 'the waiting request is answered once stored');
      assert.equal(t.fb.pipeline.stats().accepted, before + 600, 'the refused batch is not half-accepted');
      assert.equal((await t.call('POST', '/api/v1/events', batch(2), ingest)).status, 202, 'after catching up it accepts again');
    });
  });
}
