// Action retries survive kill -9: the application is down when the account
// is locked; Firebreak is killed while it waits to retry; after a restart the
// durable `action_retry` timer delivers the webhook once the application is
// back, exactly once per action id.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createTestDatabase, testBackends } from '../src/store/test-databases.ts';
import { startServer } from './support/process.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';

for (const backend of testBackends()) {
  describe(`action retries across a restart (${backend})`, () => {
    test('a webhook that failed before kill -9 is delivered after the restart', async () => {
      const app = await startWebhookReceiver(() => 503);
      const tdb = await createTestDatabase(backend);
      const config = `${tdb.dataDir}/firebreak.yaml`;
      writeFileSync(
        config,
        `app: { webhook_url: "${app.url}", webhook_secret: restart-test-secret-0123 }\nactions: { retry_base: 2s, retry_max: 2s }\n`,
      );
      const env = {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: tdb.dataDir,
        ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}),
      };
      let srv = await startServer({ cwd: tdb.dataDir, env, args: ['--config', config] });
      const api = async (method: string, url: string, body?: unknown) => {
        const res = await fetch(`${srv.url}${url}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return (await res.json()) as any;
      };
      try {
        // A type without a runbook: only the actions asked for here run (a runbook run would add its own steps).
        const inc = await api('POST', '/api/v1/incidents', {
          type: 'session_hijack',
          severity: 'critical',
          title: 'stolen session cookie',
          dedup_key: 'user:u-9',
        });
        const first = await api('POST', `/api/v1/incidents/${inc.id}/actions`, {
          actions: [{ action: 'lock_account' }, { action: 'revoke_sessions' }],
        });
        assert.deepEqual(
          first.items.map((r: { status: string }) => r.status),
          ['retrying', 'retrying'],
        );
        await srv.kill9();
        const before = app.received.length;
        app.answer = () => 200;
        srv = await startServer({ cwd: tdb.dataDir, env, args: ['--config', config] });
        const end = Date.now() + 20_000;
        let runs: { status: string; attempts: number; id: string }[] = [];
        while (Date.now() < end) {
          runs = (await api('GET', `/api/v1/incidents/${inc.id}/actions`)).items;
          if (runs.every((r) => r.status === 'succeeded')) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.deepEqual(
          runs.map((r) => r.status),
          ['succeeded', 'succeeded'],
          JSON.stringify(runs),
        );
        assert.ok(app.received.length > before);
        for (const r of runs)
          assert.equal(app.received.filter((h) => h.headers['idempotency-key'] === r.id && h.status === 200).length, 1, 'applied once');
        const timeline = (await api('GET', `/api/v1/incidents/${inc.id}/timeline`)).items as {
          kind: string;
          data: { action?: string; outcome?: string };
        }[];
        assert.ok(timeline.some((e) => e.kind === 'action' && e.data.action === 'lock_account' && e.data.outcome === 'succeeded'));
      } finally {
        await srv.stop();
        await app.close();
        await tdb.destroy();
      }
    });
  });
}
