// The lease watchdog settles claims whose process died (simulated here by
// writing the state a kill -9 leaves): never sent → sent now; send started →
// failed as "outcome unknown", never sent again, and the level is left at once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { armTimerNoWait } from '../../store/escalation-repo.ts';
import { NOTIFY_LEASE_MS, NOTIFY_LEASE_TIMER } from './escalation-deps.ts';
import { startWebhookSink, type WebhookSink } from '../../../test/support/sinks.ts';

for (const backend of testBackends()) {
  describe(`notification lease watchdog (${backend})`, () => {
    let t: TestFirebreak;
    let hook: WebhookSink;
    let now = new Date('2026-03-02T08:00:00Z');
    before(async () => {
      hook = await startWebhookSink();
      t = await startTestFirebreak(backend, {
        create: { clock: () => now },
        configYaml: {
          channels: [{ name: 'hook', type: 'webhook', url: hook.url }],
          escalation_policies: { default: { levels: [{ notify: ['channel:hook'] }, { notify: ['channel:hook'] }], level_timeout: '1h' } },
        },
      });
    });
    after(async () => {
      await t.close();
      await hook.close();
    });

    /** Opens an incident, starts its escalation, and leaves its level-1 row as a dead process would. */
    async function crashedClaim(sendStarted: boolean): Promise<{ incident: string; notification: string }> {
      const inc = (await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: `flood ${sendStarted}` })).body;
      await t.fb.escalator.reconcile();
      const db = t.fb.deps.db;
      const n = (await db.query<{ id: string }>(`SELECT id::text AS id FROM notifications WHERE incident_id = $1`, [inc.id])).rows[0]!;
      await db.query(`UPDATE timers SET fired_at = $2 WHERE kind = 'notify' AND ref = $1`, [n.id, now]);
      await db.query(`UPDATE notifications SET status = 'sending', claim_id = 'dead', send_started_at = $2, attempts = $3 WHERE id = $1`, [
        n.id,
        sendStarted ? now : null,
        sendStarted ? 1 : 0,
      ]);
      await armTimerNoWait(db, {
        kind: NOTIFY_LEASE_TIMER,
        ref: n.id,
        dueAt: new Date(now.getTime() + NOTIFY_LEASE_MS),
        payload: { claim: 'dead' },
        now,
      });
      return { incident: inc.id, notification: n.id };
    }

    const tickAll = async () => {
      await t.fb.scheduler.tick();
      await t.fb.escalator.idle();
      await t.fb.scheduler.tick();
      await t.fb.escalator.idle();
    };

    test('claimed but never sent: sent after the lease', async () => {
      const c = await crashedClaim(false);
      await tickAll();
      assert.equal(hook.received.length, 0, 'nothing before the lease ends');
      now = new Date(now.getTime() + NOTIFY_LEASE_MS + 1);
      await tickAll();
      assert.deepEqual(
        hook.received.map((r) => [r.body.incident.id, r.body.level]),
        [[c.incident, 1]],
      );
      const esc = (await t.call('GET', `/api/v1/incidents/${c.incident}/escalation`)).body;
      assert.deepEqual(
        esc.notifications.map((n: { status: string; attempts: number }) => [n.status, n.attempts]),
        [['sent', 1]],
      );
    });

    test('died while sending: failed as outcome unknown, never sent again, next level at once', async () => {
      hook.received.length = 0;
      const c = await crashedClaim(true);
      now = new Date(now.getTime() + NOTIFY_LEASE_MS + 1);
      await tickAll();
      assert.deepEqual(
        hook.received.map((r) => r.body.level),
        [2],
        'level 1 was not sent again; level 2 went out without waiting the hour',
      );
      const tl = (await t.call('GET', `/api/v1/incidents/${c.incident}/timeline`)).body.items as { kind: string; message: string }[];
      const failed = tl.filter((e) => e.kind === 'notification_failed');
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.message, /outcome unknown.*escalating now/);
      const esc = (await t.call('GET', `/api/v1/incidents/${c.incident}/escalation`)).body;
      assert.deepEqual(
        esc.notifications.map((n: { level: number; status: string }) => [n.level, n.status]),
        [
          [1, 'failed'],
          [2, 'sent'],
        ],
      );
    });
  });
}
