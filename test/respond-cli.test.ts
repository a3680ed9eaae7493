// `firebreak respond` and `firebreak decisions` as a user runs them, against a
// real `firebreak serve`: the account-compromise response delivers signed
// lock, revoke and reset webhooks to a loopback application that first
// answers 500, then 200; each action is applied once and the timeline shows
// the retry. Bad flags exit 2 with the reason; --dry-run changes nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createTestDatabase, testBackends, type TestDatabase } from '../src/store/test-databases.ts';
import { verifyWebhookSignature } from '../src/notify/webhook-channel.ts';
import { startServer, runCli, type ServerProcess } from './support/process.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const SECRET = 'e2e-app-webhook-secret-0123456789';

for (const backend of testBackends()) {
  describe(`firebreak respond and decisions (${backend})`, () => {
    let tdb: TestDatabase;
    let srv: ServerProcess;
    let app: WebhookReceiver;
    let env: Record<string, string>;
    before(async () => {
      app = await startWebhookReceiver();
      tdb = await createTestDatabase(backend);
      const config = `${tdb.dataDir}/firebreak.yaml`;
      writeFileSync(
        config,
        `allowlist: [192.0.2.0/24]\napp:\n  webhook_url: ${app.url}\n  webhook_secret: \${APP_WEBHOOK_SECRET}\nactions: { retry_base: 300ms }\n`,
      );
      const serverEnv = {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: tdb.dataDir,
        APP_WEBHOOK_SECRET: SECRET,
        ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}),
      };
      srv = await startServer({ cwd: tdb.dataDir, env: serverEnv, args: ['--config', config] });
      env = { FIREBREAK_URL: srv.url, FIREBREAK_TOKEN: ADMIN };
    });
    after(async () => {
      await srv?.stop();
      await app?.close();
      await tdb?.destroy();
    });

    test('account compromise: lock, revoke, reset delivered once each with valid signatures; the timeline shows the retry', async () => {
      const r = await runCli(['respond', '--incident-type', 'account_compromise', '--severity', 'critical', '--user-id', 'u-1001'], {
        env,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Incident #\d+ account_compromise \(critical\) user:u-1001: created/);
      for (const a of ['lock_account', 'revoke_sessions', 'force_password_reset']) {
        assert.match(r.stdout, new RegExp(`${a} +user:u-1001 +failed \\(attempt 1 of \\d+\\), retrying at`), r.stdout);
        assert.match(r.stdout, new RegExp(`${a} +user:u-1001 +succeeded: application confirmed`), r.stdout);
      }
      const keys = [...new Set(app.received.map((h) => String(h.headers['idempotency-key'])))];
      assert.equal(keys.length, 3);
      for (const key of keys) {
        const hooks = app.received.filter((h) => h.headers['idempotency-key'] === key);
        assert.deepEqual(
          hooks.map((h) => h.status),
          [500, 200],
        );
        for (const h of hooks) assert.ok(verifyWebhookSignature(String(h.headers['x-firebreak-signature']), h.raw, SECRET, Date.now()));
        assert.equal(hooks[0]!.body.id, key);
      }
      assert.deepEqual(app.applied.length, 3, 'each action applied once');
      assert.deepEqual(
        app.received
          .map((h) => h.body.action)
          .filter((a, i, all) => all.indexOf(a) === i)
          .sort(),
        ['force_password_reset', 'lock_account', 'revoke_sessions'],
      );

      const id = /Incident #(\d+)/.exec(r.stdout)![1]!;
      const show = await runCli(['incidents', 'show', id, '--json'], { env });
      const timeline = JSON.parse(show.stdout).timeline as {
        kind: string;
        data: { action?: string; outcome?: string; attempt?: number };
      }[];
      for (const a of ['lock_account', 'revoke_sessions', 'force_password_reset']) {
        const entries = timeline.filter((e) => e.kind === 'action' && e.data.action === a).map((e) => [e.data.outcome, e.data.attempt]);
        assert.deepEqual(
          entries,
          [
            ['failed', 1],
            ['succeeded', 2],
          ],
          a,
        );
      }
      const locks = await runCli(['decisions', 'list', '--user', 'u-1001', '--json'], { env });
      assert.deepEqual(
        JSON.parse(locks.stdout).items.map((d: { type: string }) => d.type),
        ['lock'],
      );

      const again = await runCli(['respond', '--incident-type', 'account_compromise', '--severity', 'critical', '--user-id', 'u-1001'], {
        env,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /appended/);
      assert.match(again.stdout, /already done earlier/);
      assert.equal(app.received.length, 6, 'running it again sends nothing');
    });

    test('brute force: ban with doubling on the next incident; dry run and allowlisted plan; bad flags exit 2', async () => {
      const dry = await runCli(
        ['respond', '--incident-type', 'brute_force_attempt', '--severity', 'high', '--ip-address', '192.0.2.50', '--dry-run'],
        { env },
      );
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /block_ip +ip:192\.0\.2\.50 +ban 192\.0\.2\.50 for 1h/);
      assert.match(dry.stdout, /note: allowlisted: 192\.0\.2\.0\/24/);
      assert.match(dry.stdout, /Nothing was changed/);
      const none = await runCli(['incidents', 'list', '--json'], { env });
      assert.equal(
        JSON.parse(none.stdout).items.filter((i: { dedup_key: string }) => i.dedup_key === 'ip:192.0.2.50').length,
        0,
        'the dry run opened nothing',
      );

      const r = await runCli(['respond', '--incident-type', 'brute_force_attempt', '--severity', 'high', '--ip-address', '203.0.113.77'], {
        env,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /block_ip +ip:203\.0\.113\.77 +succeeded: banned: 203\.0\.113\.77 until .* \(1h\)/);
      const list = await runCli(['decisions', 'list', '--ip', '203.0.113.77'], { env });
      assert.match(list.stdout, /^ID +TYPE +SCOPE +VALUE +UNTIL/m);
      assert.match(list.stdout, /ban +ip +203\.0\.113\.77 .* firebreak/);

      const allowed = await runCli(
        ['respond', '--incident-type', 'brute_force_attempt', '--severity', 'high', '--ip-address', '192.0.2.50'],
        { env },
      );
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /block_ip +ip:192\.0\.2\.50 +allowlisted: not banned/);

      const bad: [string[], RegExp][] = [
        [['respond', '--incident-type', 'brute_force_attempt', '--severity', 'high'], /needs --ip-address/],
        [['respond', '--incident-type', 'brute_force_attempt', '--severity', 'high', '--ip-address', '300.1.1.1'], /not an IP address/],
        [['respond', '--incident-type', 'account_compromise', '--severity', 'critical'], /needs --user-id/],
        [
          ['respond', '--incident-type', 'brute_force_attempt', '--severity', 'urgent', '--ip-address', '1.2.3.4'],
          /--severity must be one of/,
        ],
        [
          ['respond', '--incident-type', 'alien_invasion', '--severity', 'high', '--ip-address', '1.2.3.4'],
          /no rule opens incidents of type "alien_invasion"/,
        ],
        [['respond', '--severity', 'high'], /incident-type/],
      ];
      for (const [args, msg] of bad) {
        const b = await runCli(args, { env });
        assert.equal(b.code, 2, `${args.join(' ')}: ${b.stdout}${b.stderr}`);
        assert.match(b.stderr, msg);
      }
    });

    test('decisions add, list, delete with tables and --json; bad input exits 2', async () => {
      const add = await runCli(
        ['decisions', 'add', '--range', '198.18.0.0/16', '--type', 'captcha', '--duration', '30m', '--reason', 'scanner'],
        { env },
      );
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /added: decision (\d+) captcha on range 198\.18\.0\.0\/16/);
      const id = /decision (\d+)/.exec(add.stdout)![1]!;
      const json = JSON.parse((await runCli(['decisions', 'list', '--json'], { env })).stdout);
      assert.ok(json.items.some((d: { id: string }) => d.id === id));
      const del = await runCli(['decisions', 'delete', id], { env });
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stdout, new RegExp(`lifted decision ${id}`));
      assert.equal((await runCli(['decisions', 'delete', id], { env })).code, 1, 'lifting twice is a conflict');
      await runCli(['decisions', 'add', '--ip', '203.0.113.88'], { env });
      const bulk = await runCli(['decisions', 'delete', '--ip', '203.0.113.88', '--json'], { env });
      assert.equal(JSON.parse(bulk.stdout).deleted, 1);
      const allow = await runCli(['decisions', 'add', '--ip', '192.0.2.9'], { env });
      assert.equal(allow.code, 1);
      assert.match(allow.stderr, /allowlist/);
      for (const args of [
        ['decisions', 'add', '--ip', 'nope'],
        ['decisions', 'add', '--ip', '203.0.113.1', '--duration', '-5m'],
        ['decisions', 'add'],
        ['decisions', 'add', '--ip', '1.2.3.4', '--type', 'nuke'],
      ]) {
        const b = await runCli(args, { env });
        assert.equal(b.code, 2, `${args.join(' ')}: ${b.stderr}`);
      }
    });
  });
}
