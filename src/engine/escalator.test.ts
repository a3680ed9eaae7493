// Escalation end to end inside one Firebreak, with real peers: a loopback
// webhook receiver and an SMTP sink. Levels time out after 1 s.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';
import { startSmtpSink, startWebhookSink, waitFor, type SmtpSink, type WebhookSink, type Mail } from '../../test/support/sinks.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of testBackends()) {
  describe(`escalation through real channels (${backend})`, () => {
    let t: TestFirebreak;
    let hook: WebhookSink;
    let smtp: SmtpSink;
    let base: string;

    before(async () => {
      hook = await startWebhookSink();
      smtp = await startSmtpSink();
      t = await startTestFirebreak(backend, {
        create: { background: true, schedulerIntervalMs: 50 },
        configYaml: {
          server: { port: 0 },
          channels: [
            { name: 'hook', type: 'webhook', url: hook.url },
            { name: 'mail', type: 'email', smtp_url: smtp.url, from: 'firebreak@example.com' },
          ],
          people: [
            { id: 'alice', name: 'Alice', email: 'alice@example.com', notify: ['mail'] },
            { id: 'bob', name: 'Bob', email: 'bob@example.com', notify: ['mail'] },
            { id: 'carol', name: 'Carol', email: 'carol@example.com', notify: ['mail'] },
          ],
          schedules: [{ name: 'primary', time_zone: 'Europe/Berlin', rotation: { every: '1w', start: '2020-01-06', members: ['bob'] } }],
          escalation_limits: { min_level_timeout: '1s' }, // levels of 1 s keep the test short
          escalation_policies: {
            default: {
              levels: [
                { name: 'automated', notify: ['channel:hook'], timeout: '1s' },
                { name: 'on-call', notify: ['schedule:primary'], timeout: '1s' },
                { name: 'security-team', notify: ['person:carol'], timeout: '1s' },
                { name: 'external', notify: ['channel:hook', 'person:alice'], timeout: '1s' },
              ],
            },
          },
        },
      });
      base = await t.fb.listen();
    });
    after(async () => {
      await t.close();
      await hook.close();
      await smtp.close();
    });

    const mailsFor = (id: string, to?: string): Mail[] =>
      smtp.mails.filter((m) => m.headers['x-firebreak-incident'] === id && (!to || m.to.includes(to)));
    const hooksFor = (id: string, level?: number) =>
      hook.received.filter((r) => r.body.incident?.id === id && (level === undefined || r.body.level === level));

    test('unacknowledged: levels 1 → 4, every target once; acknowledged by the emailed link: stops; the link works once', async () => {
      const a = (
        await t.call('POST', '/api/v1/incidents', { type: 'data_corruption', severity: 'critical', title: 'Checksum mismatch in orders' })
      ).body;
      const b = (await t.call('POST', '/api/v1/incidents', { type: 'high_error_rate', severity: 'critical', title: '500s on checkout' }))
        .body;

      // B: acknowledge from bob's level-2 mail, before level 3.
      const mailB = await waitFor('the on-call mail for B', () => mailsFor(b.id, 'bob@example.com')[0]);
      const link = /Acknowledge: (http\S+)/.exec(mailB.text)?.[1];
      assert.ok(link, 'the mail carries an acknowledge link');
      assert.ok(link.startsWith(`${base}/ack/`), `${link} uses the listening address as its base`);
      const shown = await fetch(link);
      assert.equal(shown.status, 200);
      const html = await shown.text();
      assert.match(html, /Acknowledge this incident\?/);
      assert.match(html, /500s on checkout/);
      assert.equal((await t.call('GET', `/api/v1/incidents/${b.id}`)).body.status, 'triggered', 'GET alone acknowledges nothing');
      const posted = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      assert.equal(posted.status, 200);
      await t.fb.escalator.idle(); // a send claimed just before the acknowledgement finishes now
      const sentToBAtAck = mailsFor(b.id).length + hooksFor(b.id).length;
      assert.match(await posted.text(), /Acknowledged/);
      const bNow = (await t.call('GET', `/api/v1/incidents/${b.id}`)).body;
      assert.equal(bNow.status, 'acknowledged');
      assert.match(bNow.acknowledged_by, /bob/);
      const again = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      assert.equal(again.status, 409, 'a second use is refused');
      assert.match(await again.text(), /already used/);
      assert.equal((await fetch(link)).status, 409);

      // A climbs to level 4 and runs out.
      await waitFor(
        'A exhausted',
        async () => (await t.call('GET', `/api/v1/incidents/${a.id}/escalation`)).body.exhausted === true,
        20_000,
      );
      await sleep(1500); // anything extra would arrive now
      await t.fb.escalator.idle();

      assert.deepEqual(
        hooksFor(a.id).map((r) => r.body.level),
        [1, 4],
        'the webhook got levels 1 and 4, once each',
      );
      assert.equal(hooksFor(a.id, 1)[0]!.body.event, 'incident.triggered');
      assert.equal(hooksFor(a.id, 4)[0]!.body.event, 'incident.escalated');
      assert.equal(mailsFor(a.id, 'bob@example.com').length, 1, 'level 2: bob, on call, once');
      assert.equal(mailsFor(a.id, 'carol@example.com').length, 1, 'level 3: carol once');
      assert.equal(mailsFor(a.id, 'alice@example.com').length, 1, 'level 4: alice once');
      assert.equal(mailsFor(a.id).length, 3);
      assert.match(mailsFor(a.id, 'carol@example.com')[0]!.headers.subject!, /escalated to level 3/);

      const tl = (await t.call('GET', `/api/v1/incidents/${a.id}/timeline`)).body.items as { kind: string; data: any; message: string }[];
      const escalated = tl.filter((e) => e.kind === 'escalated');
      assert.deepEqual(
        escalated.map((e) => e.data.level),
        [2, 3, 4, 4],
      );
      assert.equal(escalated.at(-1)!.data.exhausted, true);
      assert.equal(tl.filter((e) => e.kind === 'notified').length, 5);
      assert.equal(tl.filter((e) => e.kind === 'notification_failed').length, 0);
      const esc = (await t.call('GET', `/api/v1/incidents/${a.id}/escalation`)).body;
      assert.equal(esc.policy.name, 'default');
      assert.equal(esc.level, 4);
      assert.deepEqual(
        esc.notifications.map((n: { status: string }) => n.status),
        ['sent', 'sent', 'sent', 'sent', 'sent'],
      );

      // B: nothing more after the acknowledgement (normally it stops at level 2;
      // a loaded machine may have let level 3 out first, never level 4).
      assert.equal(mailsFor(b.id).length + hooksFor(b.id).length, sentToBAtAck, 'acknowledging stopped the escalation');
      assert.equal(mailsFor(b.id, 'alice@example.com').length, 0);
      const escB = (await t.call('GET', `/api/v1/incidents/${b.id}/escalation`)).body;
      assert.equal(escB.stopped, true);
      assert.ok(escB.level === 2 || escB.level === 3, `stopped at level ${escB.level}`);
      assert.equal(escB.exhausted, false);
    });

    test('re-opening restarts at level 1; resolving stops', async () => {
      const c = (await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: 'Flood' })).body;
      await waitFor('level 1 for C', () => hooksFor(c.id, 1).length === 1);
      await t.call('POST', `/api/v1/incidents/${c.id}/acknowledge`);
      await t.call('POST', `/api/v1/incidents/${c.id}/reopen`);
      await waitFor('level 1 again for C', () => hooksFor(c.id, 1).length === 2);
      await t.call('POST', `/api/v1/incidents/${c.id}/resolve`);
      await t.fb.escalator.idle();
      const atResolve = mailsFor(c.id).length + hooksFor(c.id).length;
      await sleep(1500);
      await t.fb.escalator.idle();
      assert.equal(mailsFor(c.id).length + hooksFor(c.id).length, atResolve, 'nothing after the resolve');
      const esc = (await t.call('GET', `/api/v1/incidents/${c.id}/escalation`)).body;
      assert.equal(esc.stopped, true);
      const runs = esc.notifications.map((n: { epoch: number; level: number }) => [n.epoch, n.level]);
      assert.deepEqual(runs.filter(([e]: number[]) => e === 1)[0], [1, 1], 're-opened: a new run from level 1');
    });
  });

  describe(`a failing channel (${backend})`, () => {
    test('retries with backoff, gives up, escalates at once, and shows in /api/health/detailed', async () => {
      const hook = await startWebhookSink();
      const dead = await startWebhookSink();
      dead.status = 503;
      const t = await startTestFirebreak(backend, {
        create: { background: true, schedulerIntervalMs: 50 },
        configYaml: {
          channels: [
            { name: 'dead', type: 'webhook', url: dead.url },
            { name: 'hook', type: 'webhook', url: hook.url },
          ],
          notifications: { attempts: 2, retry_base: '50ms' },
          escalation_policies: { default: { levels: [{ notify: ['channel:dead'] }, { notify: ['channel:hook'] }], level_timeout: '1h' } },
        },
      });
      try {
        const inc = (await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: 'Flood' })).body;
        await waitFor(
          'level 2 reached without waiting an hour',
          () => hook.received.some((r) => r.body.incident.id === inc.id && r.body.level === 2),
          10_000,
        );
        assert.equal(dead.received.length, 2, 'two attempts at the failing channel');
        const tl = (await t.call('GET', `/api/v1/incidents/${inc.id}/timeline`)).body.items as { kind: string; message: string }[];
        const failed = tl.filter((e) => e.kind === 'notification_failed').map((e) => e.message);
        assert.equal(failed.length, 2);
        assert.match(failed[0]!, /attempt 1 of 2 failed: dead: HTTP 503.*retrying/);
        assert.match(failed[1]!, /giving up after 2 attempt\(s\).*escalating now/);
        const h = (await t.call('GET', '/api/health/detailed', undefined, null)).body;
        assert.equal(h.components.channels.status, 'degraded');
        assert.equal(h.components.channels.channels.dead.status, 'degraded');
        assert.match(h.components.channels.channels.dead.last_error, /HTTP 503/);
        assert.equal(h.components.channels.channels.hook.status, 'ok');
        assert.equal(h.status, 'degraded');
      } finally {
        await t.close();
        await hook.close();
        await dead.close();
      }
    });
  });
}
