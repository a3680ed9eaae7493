// A `teams` channel in an escalation policy, end to end inside one Firebreak:
// the card reaches a loopback Workflows receiver that validates its shape, and
// the card's Acknowledge button (Action.OpenUrl) acknowledges the incident once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';
import { waitFor } from '../../test/support/sinks.ts';
import { startTeamsReceiver, type TeamsReceiver } from '../../test/support/teams-receiver.ts';

for (const backend of testBackends()) {
  describe(`escalation to a Microsoft Teams channel (${backend})`, () => {
    let t: TestFirebreak;
    let teams: TeamsReceiver;
    let base: string;

    before(async () => {
      teams = await startTeamsReceiver();
      t = await startTestFirebreak(backend, {
        create: { background: true, schedulerIntervalMs: 50 },
        configYaml: {
          server: { port: 0 },
          channels: [{ name: 'ops-teams', type: 'teams', url: teams.url }],
          escalation_policies: { default: { levels: [{ name: 'security-team', notify: ['channel:ops-teams'] }], level_timeout: '1h' } },
        },
      });
      base = await t.fb.listen();
    });
    after(async () => {
      await t.close();
      await teams.close();
    });

    test('the card carries incident, severity and deadline, and its Acknowledge button acknowledges once', async () => {
      const inc = (await t.call('POST', '/api/v1/incidents', { type: 'high_error_rate', severity: 'critical', title: '500s on checkout' }))
        .body;
      const card = await waitFor('the Teams card', () => teams.cards.find((c) => JSON.stringify(c.body).includes('500s on checkout')));
      assert.deepEqual(teams.rejected, [], 'every body was a valid card');
      const facts = Object.fromEntries(
        (card.body.find((b) => b.type === 'FactSet')!.facts as { title: string; value: string }[]).map((f) => [f.title, f.value]),
      );
      assert.equal(facts.Severity, 'CRITICAL');
      assert.equal(facts['Ack deadline'], inc.ack_deadline);
      assert.equal(facts.Incident, inc.id);
      assert.equal(facts['Escalation level'], '1');

      const ack = card.actions.find((a) => a.title === 'Acknowledge')!;
      assert.ok(ack.url.startsWith(`${base}/ack/`), `${ack.url} is an ack link on the listening address`);
      const shown = await fetch(ack.url);
      assert.equal(shown.status, 200);
      assert.match(await shown.text(), /Acknowledge this incident\?/);
      assert.equal((await t.call('GET', `/api/v1/incidents/${inc.id}`)).body.status, 'triggered', 'opening the link acknowledges nothing');
      const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' };
      const posted = await fetch(ack.url, form);
      assert.equal(posted.status, 200);
      assert.match(await posted.text(), /Acknowledged/);
      assert.equal((await t.call('GET', `/api/v1/incidents/${inc.id}`)).body.status, 'acknowledged');
      assert.equal((await fetch(ack.url, form)).status, 409, 'a second use is refused');

      const esc = (await t.call('GET', `/api/v1/incidents/${inc.id}/escalation`)).body;
      assert.deepEqual(
        esc.notifications.map((n: { channel?: string; status: string }) => n.status),
        ['sent'],
      );
      const h = (await t.call('GET', '/api/health/detailed', undefined, null)).body;
      assert.equal(h.components.channels.channels['ops-teams'].status, 'ok');
    });
  });

  describe(`a Teams channel that fails first (${backend})`, () => {
    test('is retried with backoff like any HTTP channel, then delivers; health shows the channel', async () => {
      const teams = await startTeamsReceiver();
      teams.failNext = 1;
      const t = await startTestFirebreak(backend, {
        create: { background: true, schedulerIntervalMs: 50 },
        configYaml: {
          channels: [{ name: 'ops-teams', type: 'teams', url: teams.url }],
          notifications: { attempts: 3, retry_base: '50ms' },
          escalation_policies: { default: { levels: [{ notify: ['channel:ops-teams'] }], level_timeout: '1h' } },
        },
      });
      try {
        const inc = (await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: 'Flood' })).body;
        await waitFor('the card after a retry', () => teams.cards.length === 1, 10_000);
        const tl = (await t.call('GET', `/api/v1/incidents/${inc.id}/timeline`)).body.items as { kind: string; message: string }[];
        const failed = tl.filter((e) => e.kind === 'notification_failed').map((e) => e.message);
        assert.equal(failed.length, 1);
        assert.match(failed[0]!, /attempt 1 of 3 failed: ops-teams: HTTP 503.*retrying/);
        assert.doesNotMatch(failed[0]!, /workflows|sig=/, 'the signed URL never shows');
        await waitFor('the notification marked sent', async () => {
          const esc = (await t.call('GET', `/api/v1/incidents/${inc.id}/escalation`)).body;
          return esc.notifications[0]?.status === 'sent';
        });
        const h = (await t.call('GET', '/api/health/detailed', undefined, null)).body;
        assert.equal(h.components.channels.channels['ops-teams'].status, 'ok', 'the latest attempt succeeded');
      } finally {
        await t.close();
        await teams.close();
      }
    });
  });
}
