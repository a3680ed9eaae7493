// Runs the README's Node webhook receiver verbatim as the protected
// application of a real Firebreak: a lock_account action is verified and
// applied once; a tampered body, a stale timestamp and a missing signature
// are refused with 401.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestFirebreak } from '../src/test-harness.ts';
import { signWebhook } from '../src/notify/webhook-channel.ts';
import { freePort } from './support/process.ts';
import { readmeCode } from './support/readme-code.ts';

const SECRET = 'readme-webhook-secret-0123456789';

test('README Node webhook receiver verifies Firebreak signatures', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-readme-webhook-'));
  const file = path.join(dir, 'verify-firebreak.mjs');
  writeFileSync(file, readmeCode('webhook-node', 'js'));
  const port = await freePort();
  const proc = spawn(process.execPath, [file], {
    env: { ...process.env, PORT: String(port), APP_WEBHOOK_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}/internal/firebreak`;
  const post = (body: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const t = await startTestFirebreak('embedded', { configYaml: { app: { webhook_url: url, webhook_secret: SECRET } } });
  try {
    for (let i = 0; ; i++) {
      try {
        await post('{}', {});
        break;
      } catch {
        if (i > 100 || proc.exitCode !== null) throw new Error(`the README receiver did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const inc = await t.call('POST', '/api/v1/incidents', {
      type: 'account_compromise',
      severity: 'critical',
      title: 'Possible account compromise on 42',
      dedup_key: 'user:42',
    });
    const run = await t.call('POST', `/api/v1/incidents/${inc.body.id}/actions`, { actions: [{ action: 'lock_account' }] });
    assert.equal(run.body.items[0].status, 'succeeded', JSON.stringify(run.body));
    assert.match(out, /lock_account 42: account_compromise \(incident #\d+\)/);

    const body = JSON.stringify({ id: 'act_x', action: 'revoke_sessions', user_id: '7', reason: 'test', at: new Date().toISOString() });
    assert.equal((await post(body, { 'x-firebreak-signature': signWebhook(body, SECRET, Date.now()) })).status, 200);
    assert.equal(
      (await post(body.replace('"7"', '"8"'), { 'x-firebreak-signature': signWebhook(body, SECRET, Date.now()) })).status,
      401,
      'tampered body',
    );
    const stale = Math.floor(Date.now() / 1000) - 301;
    const staleSig = `t=${stale},v1=${createHmac('sha256', SECRET).update(`${stale}.${body}`).digest('hex')}`;
    assert.equal((await post(body, { 'x-firebreak-signature': staleSig })).status, 401, 'more than 5 minutes old');
    assert.equal(
      (await post(body, { 'x-firebreak-signature': signWebhook(body, 'another-secret-0123456789', Date.now()) })).status,
      401,
      'wrong secret',
    );
    assert.equal((await post(body, {})).status, 401, 'no signature');
    assert.equal((await post(body, { 'x-firebreak-signature': signWebhook(body, SECRET, Date.now()) })).status, 200);
    assert.equal(out.match(/revoke_sessions 7/g)?.length, 1, 'applied once');
  } finally {
    proc.kill();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('README Python verification function accepts Firebreak signatures and refuses the rest', async (t) => {
  const python = spawnSync('python3', ['--version']);
  if (python.status !== 0) return t.skip('python3 is not installed');
  const code = readmeCode('webhook-python', 'python');
  // The function alone (the FastAPI app around it needs fastapi installed).
  const fn = code.slice(code.indexOf('def verify_firebreak_signature'), code.indexOf('@app.post'));
  const body = JSON.stringify({ id: 'act_py', action: 'lock_account', user_id: 'é42', reason: 'ünïcode' });
  const stale = Math.floor(Date.now() / 1000) - 301;
  const cases = [
    [signWebhook(body, SECRET, Date.now()), body, true],
    [signWebhook(body, SECRET, Date.now()), `${body} `, false],
    [`t=${stale},v1=${createHmac('sha256', SECRET).update(`${stale}.${body}`).digest('hex')}`, body, false],
    [signWebhook(body, 'another-secret-0123456789', Date.now()), body, false],
    ['garbage ü', body, false],
  ];
  const script = `import hashlib, hmac, json, re, sys, time\nTOLERANCE_SECONDS = 5 * 60\n${fn}\nfor header, raw in json.load(sys.stdin):\n    print(verify_firebreak_signature(header, raw.encode("utf-8"), ${JSON.stringify(SECRET)}.encode()))\n`;
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases.map(([h, b]) => [h, b])), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.stdout.trim().split('\n'),
    cases.map(([, , ok]) => (ok ? 'True' : 'False')),
  );
});
