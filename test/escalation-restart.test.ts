// A real `firebreak serve` is killed with SIGKILL in the middle of an
// escalation (after level 2 was notified, before level 3 is due) and started
// again after level 3's time has passed: the escalation resumes at level 3
// (not level 1, not level 4), goes on to level 4, and no notification is
// sent twice. On the embedded database and on the PostgreSQL server.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createTestDatabase, testBackends } from '../src/store/test-databases.ts';
import { startServer } from './support/process.ts';
import { startWebhookSink, waitFor } from './support/sinks.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of testBackends()) {
  describe(`escalation across kill -9 (${backend})`, () => {
    test('resumes at the right level with nothing sent twice', async () => {
      const tdb = await createTestDatabase(backend);
      const hook = await startWebhookSink();
      const configFile = `${tdb.dataDir}.yaml`;
      writeFileSync(
        configFile,
        JSON.stringify({
          channels: [{ name: 'hook', type: 'webhook', url: hook.url }],
          escalation_policies: {
            default: { levels: [1, 2, 3, 4].map((n) => ({ name: `L${n}`, notify: ['channel:hook'] })), level_timeout: '2s' },
          },
          escalation_limits: { min_level_timeout: '1s' }, // short levels keep the test short
        }),
      );
      const env: Record<string, string> = {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: tdb.dataDir,
        FIREBREAK_CONFIG: configFile,
        ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}),
      };
      const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
      let srv = await startServer({ cwd: tdb.dataDir, env });
      try {
        const api = async (path: string, init: RequestInit = {}) =>
          (await fetch(`${srv.url}${path}`, { headers, ...init })).json() as Promise<any>;
        const inc = await api('/api/v1/incidents', {
          method: 'POST',
          body: JSON.stringify({ type: 'database_connection_failure', severity: 'critical', title: 'DB down' }),
        });
        const notified = async (level: number) =>
          ((await api(`/api/v1/incidents/${inc.id}/timeline`)).items as { kind: string; data: { level: number } }[]).some(
            (e) => e.kind === 'notified' && e.data.level === level,
          );
        await waitFor('level 2 notified and recorded', () => notified(2), 20_000, 100);
        await srv.kill9();
        const killedAt = Date.now();
        assert.deepEqual(
          hook.received.map((r) => r.body.level),
          [1, 2],
          'levels 1 and 2 before the kill',
        );

        await sleep(2500); // level 3 falls due while nothing runs
        srv = await startServer({ cwd: tdb.dataDir, env });
        await waitFor(
          'the escalation to run out',
          async () => (await api(`/api/v1/incidents/${inc.id}/escalation`)).exhausted === true,
          30_000,
          100,
        );
        await sleep(1000); // a duplicate would arrive now

        assert.deepEqual(
          hook.received.map((r) => r.body.level),
          [1, 2, 3, 4],
          'each level exactly once, in order',
        );
        assert.ok(hook.received.every((r) => r.body.incident.id === inc.id));
        const tl = (await api(`/api/v1/incidents/${inc.id}/timeline`)).items as {
          kind: string;
          at: string;
          data: { level: number; exhausted?: boolean };
        }[];
        const escalated = tl.filter((e) => e.kind === 'escalated');
        assert.deepEqual(
          escalated.map((e) => [e.data.level, !!e.data.exhausted]),
          [
            [2, false],
            [3, false],
            [4, false],
            [4, true],
          ],
        );
        assert.ok(Date.parse(escalated[1]!.at) > killedAt, 'level 3 was reached after the restart');
        assert.equal(tl.filter((e) => e.kind === 'notified').length, 4);
        assert.equal(tl.filter((e) => e.kind === 'notification_failed').length, 0);
        const esc = await api(`/api/v1/incidents/${inc.id}/escalation`);
        assert.deepEqual(
          esc.notifications.map((n: { level: number; status: string; attempts: number }) => [n.level, n.status, n.attempts]),
          [
            [1, 'sent', 1],
            [2, 'sent', 1],
            [3, 'sent', 1],
            [4, 'sent', 1],
          ],
        );
        assert.equal(await srv.stop(), 0);
      } finally {
        await srv.kill9().catch(() => {});
        await hook.close();
        await tdb.destroy();
      }
    });
  });
}
