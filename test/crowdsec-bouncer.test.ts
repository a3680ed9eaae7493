// A real CrowdSec bouncer (Debian's crowdsec-custom-bouncer, installed by
// .ci/run) enforcing Firebreak's decisions through the CrowdSec-compatible
// API of a real `firebreak serve`: five failed logins → the bouncer's script
// is called with `add <ip> <seconds> <scenario> <json>`; lifting the ban →
// `del ...`; an allowlisted address under the same attack is never banned.
// If the bouncer cannot run, this test fails: it never skips.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, testBackends, type TestDatabase } from '../src/store/test-databases.ts';
import { startServer, type ServerProcess } from './support/process.ts';
import { readmeCode } from './support/readme-code.ts';

const BOUNCER_BIN = '/usr/bin/crowdsec-custom-bouncer';
const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const ALLOWED = '198.51.100.23';

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  onTimeout: () => string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${onTimeout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const backend of testBackends()) {
  describe(`CrowdSec custom bouncer against firebreak serve (${backend})`, () => {
    let tdb: TestDatabase;
    let srv: ServerProcess;
    let bouncer: ChildProcess;
    let bouncerOut = '';
    let calls: string;
    const api = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${srv.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const lines = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []);
    const attack = (ip: string) => {
      const t0 = Date.now();
      return api(
        'POST',
        '/api/v1/events',
        [0, 1, 2, 3, 4].map((i) => ({ type: 'auth.login_failed', ts: new Date(t0 + i).toISOString(), ip, user_id: 'admin' })),
      );
    };

    before(async () => {
      assert.ok(existsSync(BOUNCER_BIN), `${BOUNCER_BIN} is missing: install the crowdsec-custom-bouncer package (.ci/run does)`);
      tdb = await createTestDatabase(backend);
      const config = path.join(tdb.dataDir, 'firebreak.yaml');
      writeFileSync(config, `allowlist: [${ALLOWED}]\n`);
      srv = await startServer({
        cwd: tdb.dataDir,
        env: {
          FIREBREAK_ADMIN_TOKEN: ADMIN,
          FIREBREAK_DATA_DIR: tdb.dataDir,
          ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}),
        },
        args: ['--config', config],
      });
      const token = await api('POST', '/api/v1/tokens', { role: 'bouncer', name: 'custom-bouncer' });
      assert.equal(token.status, 201);

      calls = path.join(tdb.dataDir, 'bouncer-calls.log');
      const script = path.join(tdb.dataDir, 'record-decision.sh');
      writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\n`);
      chmodSync(script, 0o755);
      const yaml = path.join(tdb.dataDir, 'crowdsec-custom-bouncer.yaml');
      // The README's configuration, with this test's URL, key, script, pid directory and logging.
      const overrides: Record<string, string> = {
        api_url: `${srv.url}/`,
        api_key: token.body.token,
        bin_path: script,
        piddir: tdb.dataDir,
        daemonize: 'false',
        log_mode: 'stdout',
      };
      const configLines = readmeCode('crowdsec-bouncer', 'yaml')
        .split('\n')
        .filter((l) => !/^log_dir:/.test(l))
        .map((l) => {
          const k = /^([a-z_]+):/.exec(l)?.[1];
          return k && k in overrides ? `${k}: ${overrides[k]}` : l;
        });
      writeFileSync(yaml, configLines.join('\n'));
      bouncer = spawn(BOUNCER_BIN, ['-c', yaml], { stdio: ['ignore', 'pipe', 'pipe'] });
      bouncer.stdout!.on('data', (d: Buffer) => (bouncerOut += d.toString()));
      bouncer.stderr!.on('data', (d: Buffer) => (bouncerOut += d.toString()));
      // It is up once it has made its first (startup) pull: its token has been used.
      await waitFor(
        "the bouncer's first pull",
        async () => {
          if (bouncer.exitCode !== null) throw new Error(`crowdsec-custom-bouncer exited with ${bouncer.exitCode}:\n${bouncerOut}`);
          const r = await api('GET', '/api/v1/tokens');
          return r.body.items.find((t: { name: string; last_used_at: string | null }) => t.name === 'custom-bouncer' && t.last_used_at);
        },
        15_000,
        () => bouncerOut,
      );
    });

    after(async () => {
      if (bouncer && bouncer.exitCode === null) {
        bouncer.kill('SIGTERM');
        await new Promise((r) => bouncer.once('exit', r));
      }
      await srv?.stop();
      await tdb?.destroy();
    });

    test('a detection ban reaches the bouncer as add, lifting it as del', async () => {
      const ip = '203.0.113.66';
      assert.equal((await attack(ip)).status, 202);
      const add = await waitFor(
        'add',
        () => lines().find((l) => l.startsWith(`add ${ip} `)),
        10_000,
        () => `calls:\n${lines().join('\n')}\nbouncer:\n${bouncerOut}`,
      );
      const m = /^add (\S+) (\d+) (.+) (\{.*\})$/.exec(add)!;
      assert.ok(m, add);
      assert.ok(Number(m[2]) > 3500 && Number(m[2]) <= 3600, `ban of about one hour, got ${m[2]} s`);
      assert.match(m[3]!, /brute_force_attempt \(incident #\d+\)/);
      const json = JSON.parse(m[4]!) as { id: number; scope: string; type: string; origin: string; value: string };
      assert.equal(json.scope, 'Ip');
      assert.equal(json.type, 'ban');
      assert.equal(json.origin, 'firebreak');
      assert.equal(json.value, ip);

      const decisions = await api('GET', `/api/v1/decisions?ip=${ip}`);
      assert.equal(decisions.body.items[0].id, String(json.id));
      assert.equal((await api('DELETE', `/api/v1/decisions/${json.id}`)).status, 200);
      const del = await waitFor(
        'del',
        () => lines().find((l) => l.startsWith(`del ${ip} `)),
        10_000,
        () => `calls:\n${lines().join('\n')}\nbouncer:\n${bouncerOut}`,
      );
      assert.equal(JSON.parse(/(\{.*\})$/.exec(del)![1]!).id, json.id);
    });

    test('a campaign of 8 addresses in one /24 also reaches the bouncer as one Range', async () => {
      for (let i = 0; i < 8; i++) assert.equal((await attack(`198.18.7.${10 + i}`)).status, 202);
      const add = await waitFor(
        'the range add',
        () => lines().find((l) => l.startsWith('add 198.18.7.0/24 ')),
        10_000,
        () => `calls:\n${lines().join('\n')}\nbouncer:\n${bouncerOut}`,
      );
      const json = JSON.parse(/(\{.*\})$/.exec(add)![1]!) as { scope: string; type: string; value: string };
      assert.deepEqual([json.scope, json.type, json.value], ['Range', 'ban', '198.18.7.0/24']);
    });

    test('an allowlisted address under the same attack is never banned', async () => {
      assert.equal((await attack(ALLOWED)).status, 202);
      const inc = await waitFor(
        'the incident',
        async () => (await api('GET', `/api/v1/incidents?q=${ALLOWED}`)).body.items[0],
        10_000,
        () => srv.output(),
      );
      const timeline = await waitFor(
        'the allowlisted entry',
        async () => {
          const items = (await api('GET', `/api/v1/incidents/${inc.id}/timeline`)).body.items as { kind: string }[];
          return items.some((e) => e.kind === 'allowlisted') && items;
        },
        10_000,
        () => srv.output(),
      );
      assert.ok(timeline);
      const before = lines().length;
      // Two more pulls of the bouncer: still nothing for the allowlisted address.
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(bouncer.exitCode === null, `the bouncer is still running:\n${bouncerOut}`);
      assert.equal(lines().filter((l) => l.includes(ALLOWED)).length, 0, lines().join('\n'));
      assert.equal(lines().length, before);
      assert.equal((await api('GET', `/api/v1/decisions?ip=${ALLOWED}&active=all`)).body.items.length, 0);
    });
  });
}
