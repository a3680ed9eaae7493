// No channel stalls the rest (issue "Faults"): two SMTP servers that hang —
// one greets and then says nothing, one never greets — hold ten emails of
// level 1, more than the sender's old shared slots. A webhook at the same
// level still goes out, level 2 fires and is delivered while every email is
// still hanging, and each email then fails on its timeout, is retried per
// `notifications`, and the timeline gives the real reason.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';
import { startWebhookSink, waitFor } from '../../test/support/sinks.ts';
import { startSilentSmtp } from '../../test/support/silent-smtp.ts';

type Entry = { kind: string; message: string; data: Record<string, unknown> };

for (const backend of testBackends()) {
  describe(`a hanging SMTP server (${backend})`, () => {
    test('delays only the email channel', async () => {
      const hook = await startWebhookSink();
      const greets = await startSilentSmtp({ greet: true });
      const mute = await startSilentSmtp({ greet: false });
      const people = Array.from({ length: 10 }, (_, i) => ({
        id: `p${i}`,
        email: `p${i}@example.com`,
        notify: [i % 2 === 0 ? 'greets' : 'mute'],
      }));
      const t = await startTestFirebreak(backend, {
        create: { background: true, schedulerIntervalMs: 50 },
        configYaml: {
          channels: [
            { name: 'hook', type: 'webhook', url: hook.url },
            { name: 'greets', type: 'email', smtp_url: greets.url, from: 'firebreak@example.com' },
            { name: 'mute', type: 'email', smtp_url: mute.url, from: 'firebreak@example.com' },
          ],
          people,
          notifications: { attempts: 2, retry_base: '1s', retry_max: '1s', timeout: '6s' },
          escalation_limits: { min_level_timeout: '1s' }, // a level of 2 s keeps the test short
          escalation_policies: {
            default: {
              levels: [{ notify: ['channel:hook', ...people.map((p) => `person:${p.id}`)] }, { notify: ['channel:hook'] }],
              level_timeout: '2s',
            },
          },
        },
      });
      try {
        const inc = (await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: 'Flood' })).body;
        const timeline = async () => (await t.call('GET', `/api/v1/incidents/${inc.id}/timeline`)).body.items as Entry[];
        const hookAt = (level: number) => hook.received.some((r) => r.body.incident?.id === inc.id && r.body.level === level);

        await waitFor('the level-1 webhook', () => hookAt(1));
        // Four sends per email channel hang: eight, the whole of the sender's old shared pool.
        await waitFor('every email slot held', () => greets.open === 4 && mute.open === 4);
        await waitFor('the level-2 webhook', () => hookAt(2));
        // Ordering, not timing: when level 2 was delivered, no email attempt had ended yet.
        const early = await timeline();
        assert.equal(early.filter((e) => e.kind === 'notification_failed').length, 0, 'level 2 did not wait for the hanging emails');
        assert.ok(
          early.some((e) => e.kind === 'escalated' && e.data.level === 2),
          'the escalation to level 2 is on the timeline',
        );
        assert.equal(greets.accepted + mute.accepted, 8, 'the fifth email of each channel waits for its channel, no more than 4 at once');
        assert.match(greets.received, /^EHLO /, 'the greeting server was answered');

        // Every email: two attempts (notifications.attempts), each ended by the timeout.
        const failures = await waitFor(
          'both attempts of every email',
          async () => {
            const f = (await timeline()).filter((e) => e.kind === 'notification_failed');
            return f.filter((e) => /giving up/.test(e.message)).length === 10 ? f : null;
          },
          60_000,
        );
        const firsts = failures.filter((e) => /attempt 1 of 2 failed/.test(e.message));
        assert.equal(firsts.length, 10);
        for (const e of firsts) assert.match(e.message, /: (greets|mute): ETIMEDOUT .*; retrying in \d+m?s$/);
        for (const e of failures) assert.doesNotMatch(e.message, /process stopped/);
        assert.equal(greets.accepted, 10, 'five emails, two connections each');
        assert.equal(mute.accepted, 10);
        assert.equal((await timeline()).filter((e) => e.kind === 'notified').length, 2, 'the webhook twice (levels 1 and 2), nothing else');
      } finally {
        await t.close();
        await hook.close();
        await greets.close();
        await mute.close();
      }
    });
  });
}
