// An acknowledged incident survives kill -9 of the real server, on the
// embedded database and on the PostgreSQL server; a second process on the
// same embedded data directory is refused with a clear error.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testBackends } from '../src/store/test-databases.ts';
import { startServer, runCli } from './support/process.ts';

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
