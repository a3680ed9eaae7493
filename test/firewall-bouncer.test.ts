// Debian's crowdsec-firewall-bouncer (nftables mode) enforcing Firebreak's
// bans at the packet level, in network namespaces of this test's own:
//
//   fb<pid>a (client A, 10.77.1.2) ──veth── fb<pid>s (10.77.1.1 / 10.77.2.1) ──veth── fb<pid>b (client B, 10.77.2.2)
//                                            a TCP service on :8000
//                                            the bouncer, its nftables rules
//                                            127.0.0.1:8080 → (Unix socket) → firebreak serve
//
// The bouncer's rules live in the server namespace only; the host's
// netfilter and interfaces are never touched, and the 10.77.x addresses
// exist only between these namespaces. The bouncer reaches Firebreak (on the
// host's loopback) through a Unix socket, which network namespaces do not
// separate. Five failed logins from A → A's connections are dropped while
// B's succeed; deleting the decision lets A back in. Namespaces and
// processes are removed at the end. Needs root, ip, nft and the bouncer
// (.ci/run runs as root and installs them): without them it fails, never skips.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO, startServer, type ServerProcess } from './support/process.ts';

const BOUNCER = '/usr/bin/crowdsec-firewall-bouncer';
const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const NS = { srv: `fb${process.pid}s`, a: `fb${process.pid}a`, b: `fb${process.pid}b` };
const A = '10.77.1.2';
const B = '10.77.2.2';
const SERVICE = { a: '10.77.1.1', b: '10.77.2.1', port: 8000 };

const procs: ChildProcess[] = [];
let dir: string;
let srv: ServerProcess;
let bridge: Server;
let bouncerOut = '';

/** The code block between `<!-- name:start -->` and `<!-- name:end -->` in docs/enforcement.md. */
function docBlock(name: string, lang: string): string {
  const doc = readFileSync(path.join(REPO, 'docs/enforcement.md'), 'utf8');
  const m = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(doc);
  if (!m) throw new Error(`docs/enforcement.md has no ${lang} block named ${name}`);
  return m[1]!;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(ns: string, cmd: string[], opts: { out?: (s: string) => void } = {}): ChildProcess {
  const p = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = opts.out ?? (() => {});
  p.stdout!.on('data', (d: Buffer) => out(d.toString()));
  p.stderr!.on('data', (d: Buffer) => out(d.toString()));
  procs.push(p);
  return p;
}

/**
 * One TCP connection attempt from a client namespace to the service: `ok`,
 * `dropped` (no answer within `seconds`: what DROP does) or `refused`
 * (an answer saying no: the service is down, not the firewall).
 */
function connect(ns: string, host: string, seconds = 2): 'ok' | 'dropped' | 'refused' {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'timeout', String(seconds), 'bash', '-c', `exec 3<>/dev/tcp/${host}/${SERVICE.port}`], {
    stdio: 'ignore',
  });
  return r.status === 0 ? 'ok' : r.status === 124 ? 'dropped' : 'refused';
}

async function waitFor<T>(what: string, fn: () => T | false | undefined | Promise<T | false | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nbouncer:\n${bouncerOut.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The server namespace's nftables rules, for failure messages. */
function ruleset(): string {
  return spawnSync('ip', ['netns', 'exec', NS.srv, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
}

const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${srv.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

function cleanup(): void {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'network namespaces need root (CI runs as root)');
  assert.ok(existsSync(BOUNCER), `${BOUNCER} is missing: install crowdsec-firewall-bouncer (.ci/run does)`);
  assert.equal(spawnSync('nft', ['--version']).status, 0, 'nft is missing: install nftables (.ci/run does)');
  assert.equal(spawnSync('ip', ['-V']).status, 0, 'ip is missing: install iproute2');
  process.once('exit', cleanup); // even when the runner is interrupted

  dir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-fw-'));
  for (const ns of Object.values(NS)) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  // veth pairs are created directly inside the namespaces: no interface ever appears on the host.
  for (const [client, clientIp, srvIp, n] of [
    [NS.a, A, SERVICE.a, 1],
    [NS.b, B, SERVICE.b, 2],
  ] as const) {
    sh('ip', ['-n', NS.srv, 'link', 'add', `s${n}`, 'type', 'veth', 'peer', 'name', 'c', 'netns', client]);
    sh('ip', ['-n', NS.srv, 'addr', 'add', `${srvIp}/24`, 'dev', `s${n}`]);
    sh('ip', ['-n', client, 'addr', 'add', `${clientIp}/24`, 'dev', 'c']);
    sh('ip', ['-n', NS.srv, 'link', 'set', `s${n}`, 'up']);
    sh('ip', ['-n', client, 'link', 'set', 'c', 'up']);
  }

  srv = await startServer({ cwd: dir, env: { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: path.join(dir, 'data') } });
  const token = await api('POST', '/api/v1/tokens', { role: 'bouncer', name: 'firewall-bouncer' });
  assert.equal(token.status, 201);

  // The host end of the bridge: Unix socket → firebreak serve on loopback.
  const sock = path.join(dir, 'firebreak.sock');
  bridge = createServer((c) => {
    const up = createConnection(srv.port, '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => bridge.listen(sock, r));
  // The namespace end: 127.0.0.1:8080 in the server namespace → the Unix socket.
  const forward = `const net=require('net');net.createServer(c=>{const u=net.connect(${JSON.stringify(sock)});c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy())}).listen(8080,'127.0.0.1',()=>console.log('ready'))`;
  let fwdOut = '';
  inNs(NS.srv, [process.execPath, '-e', forward], { out: (s) => (fwdOut += s) });
  // The protected service: accepts and closes.
  const service = `require('net').createServer(c=>{c.on('error',()=>{});c.end('hello\\n')}).listen(${SERVICE.port},'0.0.0.0',()=>console.log('ready'))`;
  let svcOut = '';
  inNs(NS.srv, [process.execPath, '-e', service], { out: (s) => (svcOut += s) });
  await waitFor('the forwarder and the service', () => fwdOut.includes('ready') && svcOut.includes('ready'), 15_000);
  assert.equal(connect(NS.a, SERVICE.a), 'ok', 'A reaches the service before any ban');
  assert.equal(connect(NS.b, SERVICE.b), 'ok', 'B reaches the service');

  const config = path.join(dir, 'crowdsec-firewall-bouncer.yaml');
  // docs/enforcement.md's configuration, with this test's URL, key, pid directory and logging.
  const overrides: Record<string, string> = {
    api_url: 'http://127.0.0.1:8080/',
    api_key: token.body.token,
    pid_dir: dir,
    daemonize: 'false',
    log_mode: 'stdout',
  };
  const documented = docBlock('firewall-bouncer', 'yaml')
    .split('\n')
    .filter((l) => !/^log_dir:/.test(l))
    .map((l) => {
      const k = /^([a-z_]+):/.exec(l)?.[1];
      return k && k in overrides ? `${k}: ${overrides[k]}` : l;
    });
  writeFileSync(config, documented.join('\n'));
  const bouncer = inNs(NS.srv, [BOUNCER, '-c', config], { out: (s) => (bouncerOut += s) });
  await waitFor(
    "the bouncer's first pull and its nftables table",
    async () => {
      if (bouncer.exitCode !== null) throw new Error(`crowdsec-firewall-bouncer exited with ${bouncer.exitCode}:\n${bouncerOut}`);
      const r = await api('GET', '/api/v1/tokens');
      const used = r.body.items.some((t: { name: string; last_used_at: string | null }) => t.name === 'firewall-bouncer' && t.last_used_at);
      return used && spawnSync('ip', ['netns', 'exec', NS.srv, 'nft', 'list', 'table', 'ip', 'crowdsec']).status === 0;
    },
    20_000,
  );
});

after(async () => {
  cleanup();
  await new Promise<void>((r) => (bridge ? bridge.close(() => r()) : r()));
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  // Nothing of ours is left behind.
  const left = sh('ip', ['netns', 'list']);
  for (const ns of Object.values(NS)) assert.ok(!left.includes(ns), `namespace ${ns} removed`);
});

test('a banned client is dropped by nftables while another gets through; lifting the ban lets it back in', async () => {
  const t0 = Date.now();
  const attack = await api(
    'POST',
    '/api/v1/events',
    [0, 1, 2, 3, 4].map((i) => ({ type: 'auth.login_failed', ts: new Date(t0 + i).toISOString(), ip: A, user_id: 'admin' })),
  );
  assert.equal(attack.status, 202);
  const decision = await waitFor(
    'the ban',
    async () => (await api('GET', `/api/v1/decisions?ip=${A}`)).body.items.find((d: { type: string }) => d.type === 'ban'),
    10_000,
  );
  const banned = Date.now();
  await waitFor('A to be dropped', () => connect(NS.a, SERVICE.a, 1) === 'dropped', 20_000);
  console.log(`ban → packets dropped after ${((Date.now() - banned) / 1000).toFixed(1)} s (bouncer update_frequency 1s)`);
  const set = sh('ip', ['netns', 'exec', NS.srv, 'nft', 'list', 'set', 'ip', 'crowdsec', 'crowdsec-blacklists']);
  assert.match(set, new RegExp(A.replace(/\./g, '\\.')), 'the address is in the bouncer set');
  assert.equal(connect(NS.b, SERVICE.b), 'ok', `B still connects\n${ruleset()}`);
  assert.equal(connect(NS.a, SERVICE.a), 'dropped', `A stays dropped\n${ruleset()}`);

  assert.equal((await api('DELETE', `/api/v1/decisions/${decision.id}`)).status, 200);
  await waitFor('A to be let back in', () => connect(NS.a, SERVICE.a) === 'ok', 20_000);
  assert.equal(connect(NS.b, SERVICE.b), 'ok');
  assert.doesNotMatch(ruleset(), new RegExp(A.replace(/\./g, '\\.')), 'the address left the bouncer set');
});
