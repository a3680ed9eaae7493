// The ingest pipeline on both databases: accepted means stored, detections
// are durable intents retried until handled, re-raised after a crash, and an
// event that cannot be stored is a dead letter instead of a stuck pipeline.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createTestDatabase, testBackends } from '../store/test-databases.ts';
import { createPipeline } from './pipeline.ts';
import { DEFAULT_RULES } from '../domain/rules/default-rules.ts';
import type { DetectionJob, FbEvent } from '../domain/event.ts';
import type { Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { listDeadLetters } from '../store/dead-letter-repo.ts';
import { listDetectionRows } from '../store/detection-repo.ts';
import { encodeEvents, insertEventBatch, loadEventBatchesSince } from '../store/event-repo.ts';
import { eventFromObject } from '../domain/event-object.ts';
import { AppError } from '../errors.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-03-02T08:00:00Z') * 1000;
const failed = (ip: string, k: number): FbEvent => ({ type: 'auth.login_failed', tsUs: T0 + k * 1000, ip });

function make(db: Db, onDetections: (b: readonly DetectionJob[]) => Promise<void>) {
  return createPipeline({ db, logger, rules: DEFAULT_RULES, clock: () => new Date(T0 / 1000 + 60_000), onDetections });
}

const storedCount = async (db: Db) => (await db.query<{ n: number }>('SELECT coalesce(sum(n), 0)::int AS n FROM event_batches')).rows[0]!.n;

for (const backend of testBackends()) {
  describe(`ingest pipeline (${backend})`, () => {
    test('accept resolves once stored; a failing handler is retried until the detection is handled', async () => {
      const tdb = await createTestDatabase(backend);
      const db = await tdb.open();
      await migrate(db);
      try {
        let calls = 0;
        const handled: DetectionJob[] = [];
        const p = make(db, async (batch) => {
          if (++calls === 1) throw new Error('database is down');
          handled.push(...batch);
        });
        const r = await p.accept([0, 1, 2, 3, 4].map((k) => failed('203.0.113.5', k)));
        assert.equal(await storedCount(db), 5, 'stored before accept resolved');
        assert.equal(r.detections.length, 1);
        await p.drain();
        assert.equal(calls, 2, 'the failed batch was tried again');
        assert.deepEqual(
          handled.map((j) => [j.d.rule, j.d.key, j.rule.name]),
          [['brute_force_attempt', 'ip:203.0.113.5', 'brute_force_attempt']],
        );
        const rows = await listDetectionRows(db, { limit: 10 });
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.attempts, 1);
        assert.ok(rows[0]!.handled_at, 'marked handled');
        assert.equal(rows[0]!.last_error, null, 'the error is cleared once handled');
        assert.equal(p.stats().detectionLastError, null, 'health recovers');
        await p.stop();
      } finally {
        await db.close();
        await tdb.destroy();
      }
    });

    test('storage that failed is found working again by the periodic flush, with no traffic', async () => {
      const tdb = await createTestDatabase(backend);
      const db = await tdb.open();
      await migrate(db);
      try {
        let down = true;
        // The database as an outage leaves it: transactions fail until it is back.
        const flaky: Db = {
          kind: db.kind,
          query: (sql, params) => db.query(sql, params),
          exec: (sql) => db.exec(sql),
          tx: (fn, opts) => (down ? Promise.reject(new AppError('unavailable', 'database: connect ECONNREFUSED')) : db.tx(fn, opts)),
          close: () => db.close(),
        };
        const p = make(flaky, async () => {});
        await assert.rejects(p.accept([failed('203.0.113.9', 0)], { waitMs: 2000 }), /could not be stored|ECONNREFUSED/);
        assert.equal(p.stats().storageFailing, true);
        down = false;
        await p.flush(); // what the flush timer does every second
        assert.equal(p.stats().storageFailing, false, 'ready again without a request or pending counts');
        await p.stop();
      } finally {
        await db.close();
        await tdb.destroy();
      }
    });

    test('rebuild re-raises a detection whose events were stored but which was never recorded (a crash in between)', async () => {
      const tdb = await createTestDatabase(backend);
      const db = await tdb.open();
      await migrate(db);
      try {
        // As if the process died right after committing these events.
        const evs = [0, 1, 2, 3, 4].map((k) => failed('198.51.100.7', k));
        await insertEventBatch(db, {
          tsMinUs: evs[0]!.tsUs,
          tsMaxUs: evs[4]!.tsUs,
          n: 5,
          types: ['auth.login_failed'],
          parts: [encodeEvents(evs)],
        });
        const handled: DetectionJob[] = [];
        const p = make(db, async (batch) => void handled.push(...batch));
        assert.equal(await p.rebuild(new Date(T0 / 1000 + 60_000)), 5);
        await p.drain();
        assert.deepEqual(
          handled.map((j) => j.d.key),
          ['ip:198.51.100.7'],
        );
        await p.stop();
        // A second start finds it recorded and handled: nothing raised twice.
        const handled2: DetectionJob[] = [];
        const p2 = make(db, async (batch) => void handled2.push(...batch));
        await p2.rebuild(new Date(T0 / 1000 + 60_000));
        await p2.drain();
        assert.deepEqual(handled2, []);
        // The window continues: the cooldown holds, a 6th failure fires nothing.
        assert.equal((await p2.accept([failed('198.51.100.7', 6)])).detections.length, 0);
        await p2.stop();
      } finally {
        await db.close();
        await tdb.destroy();
      }
    });

    test('rebuild after a restart: NDJSON lines stored as sent, JSON-array and log events, and an old row give the same events and windows', async () => {
      const tdb = await createTestDatabase(backend);
      const db = await tdb.open();
      await migrate(db);
      try {
        const at = (k: number) => new Date(T0 / 1000 + k * 1000).toISOString();
        const raw = (k: number, o: Record<string, unknown>) => ({ type: 'auth.login_failed', ts: at(k), ...o });
        const valid = (o: unknown) => {
          const r = eventFromObject(o);
          assert.ok(r.ok);
          return r.event;
        };
        // A row written by the previous version (FbEvents): the first failure of each address.
        const old = [valid(raw(0, { ip: '198.51.100.20' })), valid(raw(0, { ip: '2001:db8::20' }))];
        await insertEventBatch(db, {
          tsMinUs: old[0]!.tsUs,
          tsMaxUs: old[0]!.tsUs,
          n: 2,
          types: ['auth.login_failed'],
          parts: [encodeEvents(old)],
        });
        const p = make(db, async () => {});
        // NDJSON: the lines as sent (spaces, a non-canonical address, a numeric user id, unknown fields into attrs).
        const lines = [
          ` { "type": "auth.login_failed", "ts": "${at(1)}", "ip": "198.51.100.20", "user_id": 42, "tenant": "a", "attrs": {"x": [1]} } `,
          JSON.stringify(raw(1, { ip: '2001:DB8:0:0:0:0:0:20', route: '/login' })),
          JSON.stringify({ type: 'http.request', ts: at(1), ip: '198.51.100.20', status: 200, latency_ms: 1.5 }),
        ];
        const ndjson = lines.map((l) => valid(JSON.parse(l)));
        await p.accept(ndjson, { source: 'api', texts: lines });
        // A JSON-array request and a followed log: FbEvents, stored encoded.
        const array = [valid(raw(2, { ip: '198.51.100.20' })), valid(raw(2, { ip: '2001:db8::20' }))];
        await p.accept(array, { source: 'api' });
        const log = [valid(raw(3, { ip: '198.51.100.20' })), valid(raw(3, { ip: '2001:db8::20' }))];
        await p.accept(log, {
          source: 'source:auth',
          position: { source: 'auth', path: '/var/log/auth.log', inode: '1', position: 10, carry: '' },
        });
        await p.stop();

        const stored = (await loadEventBatchesSince(db, 0, 0, 100)).flatMap((b) => b.events);
        assert.deepEqual(stored, [...old, ...ndjson, ...array, ...log], 'each shape decodes to the FbEvent the live engine saw');
        assert.equal(stored[2]!.user_id, '42');
        assert.deepEqual(stored[2]!.attrs, { x: [1], tenant: 'a' });
        assert.equal(stored[3]!.ip, '2001:db8::20');

        const p2 = make(db, async () => {});
        assert.equal(await p2.rebuild(new Date(T0 / 1000 + 60_000)), 9);
        // Four failures per address stored in four shapes: the fifth fires only if every one was replayed.
        const fifth = await p2.accept([valid(raw(4, { ip: '198.51.100.20' })), valid(raw(4, { ip: '2001:db8::20' }))]);
        assert.deepEqual(
          fifth.detections.map((d) => [d.rule, d.key, d.value]),
          [
            ['brute_force_attempt', 'ip:198.51.100.20', 5],
            ['brute_force_attempt', 'ip:2001:db8::20', 5],
          ],
        );
        await p2.stop();
      } finally {
        await db.close();
        await tdb.destroy();
      }
    });

    test('an event that cannot be encoded is a dead letter; the rest of the batch is stored and detected', async () => {
      const tdb = await createTestDatabase(backend);
      const db = await tdb.open();
      await migrate(db);
      try {
        const p = make(db, async () => {});
        let deep: Record<string, unknown> = {};
        const root = deep;
        for (let i = 0; i < 20_000; i++) deep = (deep.a = {}) as Record<string, unknown>;
        const poison: FbEvent = { ...failed('192.0.2.1', 0), attrs: root };
        const r = await p.accept([failed('192.0.2.9', 0), poison, ...[1, 2, 3, 4].map((k) => failed('192.0.2.9', k))]);
        assert.equal(r.quarantined, 1);
        assert.equal(r.detections.length, 1, 'the good events still fire');
        assert.equal(await storedCount(db), 5);
        const letters = await listDeadLetters(db, { limit: 10 });
        assert.equal(letters.length, 1);
        assert.match(letters[0]!.error, /cannot encode/);
        assert.match(letters[0]!.sample, /192\.0\.2\.1/);
        assert.equal(p.stats().deadLetters, 1);
        // The pipeline goes on.
        await p.accept([failed('192.0.2.10', 9)]);
        assert.equal(await storedCount(db), 6);
        await p.stop();
      } finally {
        await db.close();
        await tdb.destroy();
      }
    });
  });
}
