import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { verifyWebhookSignature } from '../../notify/webhook-channel.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';

const SECRET = 'app-webhook-secret-0123456789';
type Entry = { kind: string; message: string; data: Record<string, unknown> | null };
type Run = {
  id: string;
  action: string;
  target: string;
  status: string;
  outcome: string | null;
  attempts: number;
  replayed: boolean;
  next_attempt_at: string | null;
};

for (const backend of testBackends()) {
  describe(`automated response (${backend})`, () => {
    let t: TestFirebreak;
    let app: WebhookReceiver;
    let ingest: string;
    let now = new Date('2026-03-02T08:00:00.000Z');
    before(async () => {
      app = await startWebhookReceiver();
      t = await startTestFirebreak(backend, {
        create: { clock: () => now },
        configYaml: {
          allowlist: ['192.0.2.10'],
          app: { webhook_url: app.url, webhook_secret: SECRET },
          bans: { max: '3h' },
          actions: { retry_base: '2s' },
        },
      });
      ingest = await t.makeToken('ingest');
    });
    after(async () => {
      await t.close();
      await app.close();
    });

    const timeline = async (id: string): Promise<Entry[]> => (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).body.items;
    const failedLogins = (ip: string) =>
      [0, 1, 2, 3, 4].map((s) => ({
        type: 'auth.login_failed',
        ts: new Date(now.getTime() + s * 1000).toISOString(),
        ip,
        user_id: 'root',
      }));
    const open = async (type: string, key: string) =>
      (await t.call('POST', '/api/v1/incidents', { type, severity: 'high', title: `${type} ${key}`, dedup_key: key })).body;
    /** Lets due retry timers fire and their attempts finish. */
    const advance = async (ms: number) => {
      now = new Date(now.getTime() + ms);
      await t.fb.scheduler.tick();
      await t.fb.response.idle();
    };

    test('a brute force detection bans the address for 1 h and records it on the timeline', async () => {
      await t.call('POST', '/api/v1/events', failedLogins('203.0.113.50'), ingest);
      await t.fb.pipeline.drain();
      await t.fb.response.idle();
      const inc = (await t.call('GET', '/api/v1/incidents?type=brute_force_attempt')).body.items[0];
      const ds = (await t.call('GET', '/api/v1/decisions?ip=203.0.113.50')).body.items;
      assert.equal(ds.length, 1);
      assert.equal(ds[0].origin, 'firebreak');
      assert.equal(ds[0].incident_id, inc.id);
      assert.equal(ds[0].until, new Date(now.getTime() + 3_600_000).toISOString());
      const actions = (await timeline(inc.id)).filter((e) => e.kind === 'action');
      assert.deepEqual(
        actions.map((e) => [e.data!.action, e.data!.target, e.data!.outcome, e.data!.attempt]),
        [
          ['block_ip', 'ip:203.0.113.50', 'succeeded', 1],
          ['notify', 'notify:security', 'succeeded', 1],
        ],
      );
      const runs: Run[] = (await t.call('GET', `/api/v1/incidents/${inc.id}/actions`)).body.items;
      assert.deepEqual(
        runs.map((r) => r.status),
        ['succeeded', 'succeeded'],
      );
    });

    test('an attack that goes on after its ban lapsed is banned again, longer, on the same open incident', async () => {
      const ip = '203.0.113.51';
      await t.call('POST', '/api/v1/events', failedLogins(ip), ingest);
      await t.fb.pipeline.drain();
      await t.fb.response.idle();
      const [inc] = (await t.call('GET', `/api/v1/incidents?q=${ip}`)).body.items;
      const firstBan = (await t.call('GET', `/api/v1/decisions?ip=${ip}`)).body.items[0];
      assert.equal(firstBan.until, new Date(now.getTime() + 3_600_000).toISOString());

      now = new Date(now.getTime() + 2 * 3_600_000); // the ban is over, the rule's cooldown too; nobody resolved the incident
      assert.equal((await t.call('GET', `/api/v1/decisions?ip=${ip}`)).body.items.length, 0, 'the first ban has lapsed');
      await t.call('POST', '/api/v1/events', failedLogins(ip), ingest);
      await t.fb.pipeline.drain();
      await t.fb.response.idle();

      const incs = (await t.call('GET', `/api/v1/incidents?q=${ip}`)).body.items;
      assert.deepEqual(
        incs.map((i: { id: string }) => i.id),
        [inc.id],
        'still one incident',
      );
      const bans = (await t.call('GET', `/api/v1/decisions?ip=${ip}`)).body.items;
      assert.equal(bans.length, 1);
      assert.equal(bans[0].until, new Date(now.getTime() + 2 * 3_600_000).toISOString(), 'second offence: 2 h');
      // The address may have joined the campaign of an earlier test's address (same rule, within 10 minutes): look at its own runs.
      const runs: Run[] = (await t.call('GET', `/api/v1/incidents/${inc.id}/actions`)).body.items;
      assert.deepEqual(
        runs.filter((r) => r.target === `ip:${ip}`).map((r) => [r.action, r.status]),
        [
          ['block_ip', 'succeeded'],
          ['block_ip', 'succeeded'],
        ],
        'the ban renews',
      );
      assert.equal(runs.filter((r) => r.action === 'notify').length, 1, 'the notification is not sent again');
      const actions = (await timeline(inc.id)).filter(
        (e) => e.kind === 'action' && e.data!.action === 'block_ip' && e.data!.target === `ip:${ip}`,
      );
      assert.match(actions[1]!.message, /banned: 203\.0\.113\.51 .*\(2h, 2nd offence\)/);
    });

    test('an allowlisted address under the same attack is never banned; the attempt is on the timeline', async () => {
      await t.call('POST', '/api/v1/events', failedLogins('192.0.2.10'), ingest);
      await t.fb.pipeline.drain();
      const inc = (await t.call('GET', '/api/v1/incidents?q=192.0.2.10')).body.items[0];
      assert.ok(inc, 'the incident still opens');
      assert.equal((await t.call('GET', '/api/v1/decisions?ip=192.0.2.10&active=all')).body.items.length, 0);
      const allow = (await timeline(inc.id)).find((e) => e.kind === 'allowlisted')!;
      assert.match(
        allow.message,
        /block_ip ip:192\.0\.2\.10: allowlisted: not banned: 192\.0\.2\.10 is on the allowlist \(192\.0\.2\.10\/32 \(from the configuration file\)\)/,
      );
      assert.equal(allow.data!.outcome, 'allowlisted');
    });

    test('replays are idempotent; repeat offenders get doubled bans up to the maximum', async () => {
      const inc = await open('brute_force_attempt', 'ip:203.0.113.60');
      const first = await t.call('POST', `/api/v1/incidents/${inc.id}/actions`, {
        actions: [{ action: 'block_ip', params: { duration: '1h' } }],
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.items[0].replayed, false);
      const again = await t.call('POST', `/api/v1/incidents/${inc.id}/actions`, {
        actions: [{ action: 'block_ip', params: { duration: '1h' } }],
      });
      assert.equal(again.body.items[0].replayed, true);
      assert.equal(again.body.items[0].id, first.body.items[0].id);
      assert.equal((await timeline(inc.id)).filter((e) => e.kind === 'action').length, 1, 'a replay does not act or write again');
      const untils: string[] = [];
      for (let n = 0; n < 3; n++) {
        if (n > 0) {
          await t.call('POST', `/api/v1/incidents/${inc.id}/resolve`);
          await t.call('POST', `/api/v1/incidents/${inc.id}/reopen`); // reopen_count + 1: a new action id
          await t.call('POST', `/api/v1/incidents/${inc.id}/actions`, { actions: [{ action: 'block_ip', params: { duration: '1h' } }] });
        }
        untils.push((await t.call('GET', '/api/v1/decisions?ip=203.0.113.60')).body.items[0].until);
      }
      const hours = untils.map((u) => (Date.parse(u) - now.getTime()) / 3_600_000);
      assert.deepEqual(hours, [1, 2, 3], '1 h, then 2 h, then 4 h capped at bans.max = 3 h');
      const msgs = (await timeline(inc.id)).filter((e) => e.kind === 'action').map((e) => e.message);
      assert.match(msgs[1]!, /ban extended: 203\.0\.113\.60 .*\(2h, 2nd offence\)/);
    });

    test('account compromise: signed lock, revoke and reset webhooks, retried after a 500, each applied once', async () => {
      const inc = await open('account_compromise', 'user:u-42');
      const r = await t.call('POST', `/api/v1/incidents/${inc.id}/actions`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const runs: Run[] = r.body.items;
      assert.deepEqual(
        runs.map((x) => [x.action, x.target, x.status]),
        [
          ['lock_account', 'user:u-42', 'retrying'],
          ['revoke_sessions', 'user:u-42', 'retrying'],
          ['force_password_reset', 'user:u-42', 'retrying'],
          ['notify', 'notify:user', 'succeeded'],
        ],
      );
      await advance(1000);
      assert.equal(app.received.length, 3, 'not before the backoff');
      await advance(2000);
      const mine = app.received.filter((h) => runs.some((x) => x.id === h.headers['idempotency-key']));
      assert.equal(mine.length, 6);
      for (const run of runs.slice(0, 3)) {
        const hooks = mine.filter((h) => h.headers['idempotency-key'] === run.id);
        assert.deepEqual(
          hooks.map((h) => h.status),
          [500, 200],
        );
        for (const h of hooks) {
          assert.ok(verifyWebhookSignature(String(h.headers['x-firebreak-signature']), h.raw, SECRET, Date.now()), 'valid signature');
          assert.deepEqual(Object.keys(h.body).sort(), ['action', 'at', 'id', 'incident', 'reason', 'user_id']);
          assert.equal(h.body.id, run.id);
          assert.equal(h.body.action, run.action);
          assert.equal(h.body.user_id, 'u-42');
          assert.deepEqual(h.body.incident, { id: inc.id, type: 'account_compromise', severity: 'high', title: inc.title });
        }
        assert.equal(hooks[0]!.raw, hooks[1]!.raw, 'a retry sends the same body');
        assert.equal(app.applied.filter((k) => k === run.id).length, 1);
      }
      const after: Run[] = (await t.call('GET', `/api/v1/incidents/${inc.id}/actions`)).body.items;
      assert.deepEqual(
        after.map((x) => [x.status, x.attempts]),
        [
          ['succeeded', 2],
          ['succeeded', 2],
          ['succeeded', 2],
          ['succeeded', 1],
        ],
      );
      const lock = (await t.call('GET', '/api/v1/decisions?scope=user&value=u-42')).body.items;
      assert.deepEqual(
        lock.map((d: { type: string }) => d.type),
        ['lock'],
        'one lock decision, not one per attempt',
      );
      const entries = (await timeline(inc.id)).filter((e) => e.kind === 'action' && e.data!.action === 'lock_account');
      assert.deepEqual(
        entries.map((e) => [e.data!.outcome, e.data!.attempt]),
        [
          ['failed', 1],
          ['succeeded', 2],
        ],
      );
      assert.match(entries[0]!.message, /HTTP 500.*\(attempt 1 of 8; retrying at /);
    });

    test('ddos: the default response rate-limits the address for 10 minutes', async () => {
      const inc = await open('ddos', 'ip:2001:db8::66');
      const r = await t.call('POST', `/api/v1/incidents/${inc.id}/actions`);
      assert.deepEqual(
        r.body.items.map((x: Run) => [x.action, x.target, x.status]),
        [['rate_limit', 'ip:2001:db8::66', 'succeeded']],
      );
      const d = (await t.call('GET', '/api/v1/decisions?ip=2001:db8::66')).body.items[0];
      assert.equal(d.type, 'rate_limit');
      assert.equal(d.until, new Date(now.getTime() + 600_000).toISOString());
    });

    test('a 4xx answer is final; the dry-run plan writes nothing', async () => {
      app.answer = () => 400;
      const inc = await open('account_compromise', 'user:u-43');
      const r = await t.call('POST', `/api/v1/incidents/${inc.id}/actions`, { actions: [{ action: 'revoke_sessions' }] });
      assert.equal(r.body.items[0].status, 'failed');
      app.answer = (_h, seen) => (seen === 0 ? 500 : 200);
      const plan = await t.call('GET', '/api/v1/response-plan?type=brute_force_attempt&dedup_key=ip:127.0.0.1');
      assert.equal(plan.status, 200);
      assert.deepEqual(
        plan.body.actions.map((a: { action: string; target: string }) => [a.action, a.target]),
        [
          ['block_ip', 'ip:127.0.0.1'],
          ['notify', 'notify:security'],
        ],
      );
      assert.match(plan.body.actions[0].note, /allowlisted: 127\.0\.0\.0\/8/);
      assert.equal((await t.call('GET', '/api/v1/decisions?ip=127.0.0.1&active=all')).body.items.length, 0);
    });

    test('bad requests: 400 naming the action and field, 404 for an unknown incident, nothing run', async () => {
      const inc = await open('account_compromise', 'user:u-44');
      const cases: [unknown, string, RegExp][] = [
        [{ actions: [{ action: 'launch_missiles' }] }, 'actions[0].action', /unknown action "launch_missiles"/],
        [{ actions: [{ action: 'run_command' }] }, 'actions[0].action', /approves/],
        [{ actions: [{ action: 'notify' }, { action: 'block_ip' }] }, 'actions[1].params', /needs an address/],
        [{ actions: [{ action: 'block_ip', params: { ip: '1.2.3.4', duration: '-1h' } }] }, 'actions[0].params.duration', /not a duration/],
        [{ actions: [{ action: 'block_ip', params: { ip: '1.2.3.4', duration: '20000d' } }] }, 'actions[0].params.duration', /10 years/],
        [{ actions: [{ action: 'block_ip', params: { ip: '1.2.3.999' } }] }, 'actions[0].params', /not an IP address/],
        [
          { actions: [{ action: 'lock_account', params: { target: 'targeted_users' } }] },
          'actions[0].params',
          /target "targeted_users" is not automated yet/,
        ],
        [{ actions: [{ action: 'lock_account', params: { color: 'red' } }] }, 'actions[0].params', /color/],
        [{ actions: [] }, 'actions', /at least 1|too small|>=1/i],
      ];
      for (const [body, path, msg] of cases) {
        const r = await t.call('POST', `/api/v1/incidents/${inc.id}/actions`, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
        assert.ok(
          r.body.error.details.some((d: { path: string }) => d.path === path),
          `${path} in ${JSON.stringify(r.body.error.details)}`,
        );
        assert.match(r.body.error.details.map((d: { message: string }) => d.message).join(' | '), msg);
      }
      assert.equal((await t.call('GET', `/api/v1/incidents/${inc.id}/actions`)).body.items.length, 0);
      assert.equal((await t.call('POST', '/api/v1/incidents/999999/actions')).status, 404);
      assert.equal((await t.call('POST', `/api/v1/incidents/${inc.id}/actions`, undefined, await t.makeToken('viewer'))).status, 403);
      assert.equal((await t.call('GET', '/api/v1/response-plan?type=nope_nothing')).status, 400);
    });
  });
}
