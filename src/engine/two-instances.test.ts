// Two Firebreak instances on one PostgreSQL database, both running their
// schedulers (fast, to make them compete): every notification of every
// escalation step reaches the receiver exactly once. Needs TEST_DATABASE_URL.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestFirebreak } from '../test-harness.ts';
import { createFirebreak } from '../main.ts';
import { testBackends } from '../store/test-databases.ts';
import { startWebhookSink, waitFor } from '../../test/support/sinks.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (testBackends().includes('server')) {
  describe('two instances on one PostgreSQL server', () => {
    test('each notification is delivered exactly once', async () => {
      const hook = await startWebhookSink();
      const a = await startTestFirebreak('server', {
        create: { background: true, schedulerIntervalMs: 20 },
        configYaml: {
          channels: [{ name: 'hook', type: 'webhook', url: hook.url }],
          escalation_policies: {
            default: {
              levels: [{ notify: ['channel:hook'] }, { notify: ['channel:hook'] }, { notify: ['channel:hook'] }],
              level_timeout: '1s',
            },
          },
          escalation_limits: { min_level_timeout: '1s' }, // levels of 1 s keep the test short
        },
      });
      const b = await createFirebreak(a.config, { logger: pino({ level: 'silent' }), background: true, schedulerIntervalMs: 20 });
      try {
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) {
          // Half through each instance: each one's bus starts the runs it opened.
          const app = i % 2 === 0 ? a.fb.app : b.app;
          const res = await app.inject({
            method: 'POST',
            url: '/api/v1/incidents',
            headers: { authorization: `Bearer ${a.config.adminToken}`, 'content-type': 'application/json' },
            payload: JSON.stringify({ type: 'high_error_rate', severity: 'critical', title: `spike ${i}` }),
          });
          assert.equal(res.statusCode, 201);
          ids.push(res.json().id);
        }
        await waitFor(
          'every run exhausted',
          async () => {
            const r = await a.fb.deps.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM incident_escalations WHERE next_at IS NULL AND NOT stopped`,
            );
            return r.rows[0]!.n === ids.length;
          },
          30_000,
          100,
        );
        await sleep(1000);
        await Promise.all([a.fb.escalator.idle(), b.escalator.idle()]);

        const seen = new Map<string, number>();
        for (const r of hook.received) {
          const k = `${r.body.incident.id}/${r.body.level}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
        const twice = [...seen].filter(([, n]) => n > 1);
        assert.deepEqual(twice, [], 'nothing delivered twice');
        assert.equal(hook.received.length, ids.length * 3, 'every level of every incident delivered');
        for (const id of ids) for (const level of [1, 2, 3]) assert.equal(seen.get(`${id}/${level}`), 1, `${id} level ${level}`);
        const rows = await a.fb.deps.db.query<{ status: string; n: number }>(
          `SELECT status, count(*)::int AS n FROM notifications GROUP BY status`,
        );
        assert.deepEqual(rows.rows, [{ status: 'sent', n: ids.length * 3 }]);
        const tl = await a.fb.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incident_timeline WHERE kind = 'notified'`);
        assert.equal(tl.rows[0]!.n, ids.length * 3, 'one notified entry per delivery');
        assert.ok(a.fb.scheduler.status().fired > 0 && b.scheduler.status().fired > 0, 'both instances fired timers');
      } finally {
        await b.close();
        await a.close();
        await hook.close();
      }
    });
  });
}
