// An acknowledged incident survives kill -9 of the real server, on the
// embedded database and on the PostgreSQL server; a second process on the
// same embedded data directory is refused with a clear error.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testBackends } from '../src/store/test-databases.ts';
import { startServer, runCli } from './support/process.ts';
import { openDb } from '../src/store/db.ts';
import { startLoad, storedSeqs, missing } from './support/ingest-load.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';

for (const backend of testBackends()) {
  describe(`durability (${backend})`, () => {
    test('acknowledged incident is unchanged after kill -9 and restart', async () => {
      const tdb = await createTestDatabase(backend);
      const env: Record<string, string> = {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: tdb.dataDir,
        ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}),
      };
      const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
      let srv = await startServer({ cwd: tdb.dataDir, env });
      try {
        // A type without a runbook: no steps run, so the incident and its timeline stay byte-for-byte
        // the same (runbook runs across kill -9 are covered by test/runbook-restart.test.ts).
        const created = await fetch(`${srv.url}/api/v1/incidents`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ type: 'db_durability_drill', severity: 'critical', title: 'DB down', dedup_key: 'global' }),
        });
        assert.equal(created.status, 201);
        const inc = (await created.json()) as { id: string };
        const ack = await fetch(`${srv.url}/api/v1/incidents/${inc.id}/acknowledge`, {
          method: 'POST',
          headers: auth,
          body: '{"note":"on it"}',
        });
        assert.equal(ack.status, 200);
        const acked = await ack.json();
        const timeline = await (await fetch(`${srv.url}/api/v1/incidents/${inc.id}/timeline`, { headers: auth })).json();
        await srv.kill9();

        srv = await startServer({ cwd: tdb.dataDir, env });
        const after = await (await fetch(`${srv.url}/api/v1/incidents/${inc.id}`, { headers: auth })).json();
        assert.deepEqual(after, acked);
        const timelineAfter = await (await fetch(`${srv.url}/api/v1/incidents/${inc.id}/timeline`, { headers: auth })).json();
        assert.deepEqual(timelineAfter, timeline);

        if (backend === 'embedded') {
          const second = await runCli(['serve', '--port', '0'], { cwd: tdb.dataDir, env });
          assert.equal(second.code, 1);
          assert.match(second.stderr, /in use by another Firebreak process \(pid \d+\)/);
          const tok = await runCli(['token', 'list'], { cwd: tdb.dataDir, env: { ...env, FIREBREAK_URL: '', FIREBREAK_TOKEN: '' } });
          assert.equal(tok.code, 1);
          assert.match(tok.stderr, /FIREBREAK_URL/);
        }
        assert.equal(await srv.stop(), 0, 'graceful shutdown on SIGTERM exits 0');
      } finally {
        await srv.kill9().catch(() => {});
        await tdb.destroy();
      }
    });
  });
}

// Accepted means stored (issue #18): a 202 is sent only once the events are
// written, so kill -9 under load loses none of them. Embedded, default
// configuration, about 10,000 events/s, killed 5 times at a random moment.
describe('kill -9 under ingest load (embedded, default config)', () => {
  test('5 kills: every acknowledged event is stored', async () => {
    const tdb = await createTestDatabase('embedded');
    const env = { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: tdb.dataDir };
    const acked = new Set<number>();
    try {
      for (let round = 0; round < 5; round++) {
        const srv = await startServer({ cwd: tdb.dataDir, env, timeoutMs: 60_000 });
        // 4 senders × 500 events every ~0.2 s ≈ 10,000 events/s.
        const load = startLoad({ url: srv.url, token: ADMIN, senders: 4, batch: 500, pauseMs: 150 });
        await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
        await srv.kill9();
        await load.stop();
        assert.deepEqual(load.odd, [], 'every refusal is a 429/503 with Retry-After');
        assert.ok(load.acked.size > 0, `round ${round}: some events were acknowledged`);
        for (const s of load.acked) acked.add(s);
        // Read what is on disk with the server dead, as the next start will.
        const db = await openDb({ dataDir: tdb.dataDir });
        try {
          const lost = missing(acked, await storedSeqs(db));
          assert.equal(lost.length, 0, `round ${round}: ${lost.length} of ${acked.size} acknowledged events lost`);
        } finally {
          await db.close();
        }
      }
    } finally {
      await tdb.destroy();
    }
  });
});
