// Cluster mode, what the instances share besides detection: three real
// `firebreak serve` processes on one PostgreSQL database and the local Redis
// (a key prefix of this run's own), no sticky sessions:
// - a dashboard session made on one instance works on the others; sign-out
//   and token revocation through one end it on all, at once;
// - the dashboard's live views (it polls the API) show changes made through
//   another instance;
// - failed sign-ins spread round-robin over the instances are limited as on one;
// - a health probe is run by exactly one instance, and after that instance is
//   SIGKILLed another takes it within a few seconds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../src/store/test-databases.ts';
import { LOGIN_MAX_FAILURES } from '../src/domain/auth-limits.ts';
import { startServer, type ServerProcess } from './support/process.ts';
import { deleteRedisPrefix } from './support/redis-keys.ts';
import { waitFor } from './support/wait-for.ts';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = `fbk_shared_test_${randomBytes(16).toString('hex')}`;
const PREFIX = `fbtest-shared-${process.pid}-${randomBytes(4).toString('hex')}`;
const PROBE_INTERVAL_MS = 1_000;
const dir = mkdtempSync(path.join(tmpdir(), 'fb-cluster-shared-'));
let db: TestDatabase;
const nodes: Record<'a' | 'b' | 'c', ServerProcess> = {} as never;

/** Hits of the probe target, by the instance named in the query string (each instance's config names itself). */
const hits: { from: string; at: number }[] = [];
let target: http.Server;
let targetPort = 0;

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function call(
  base: string,
  method: string,
  url: string,
  o: { body?: unknown; bearer?: string | null; cookie?: string; csrf?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  const bearer = o.bearer === undefined ? ADMIN : o.bearer;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.cookie) headers.cookie = o.cookie;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  const r = await fetch(base + url, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}

/** waitFor, with a failing poll (an instance restarting) counted as not yet. */
const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> =>
  waitFor(what, () => fn().catch(() => undefined), ms, 100) as Promise<T>;

/** Signs in like the dashboard (no Authorization header); returns the session cookie and CSRF token. */
async function signIn(base: string, token: string): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const body = (await r.json()) as { csrf_token: string };
  assert.equal(r.status, 200, JSON.stringify(body));
  const line = r.headers.getSetCookie().find((c) => c.startsWith('fb_session='));
  assert.ok(line, 'a session cookie');
  return { cookie: line.split(';')[0]!, csrf: body.csrf_token };
}

function start(name: 'a' | 'b' | 'c'): Promise<ServerProcess> {
  const file = path.join(dir, `${name}.yaml`);
  const home = path.join(dir, name);
  mkdirSync(home, { recursive: true });
  writeFileSync(
    file,
    [
      `instance: ${name}`,
      'cluster:',
      `  key_prefix: ${PREFIX}`,
      'probes:',
      // The same probe on every instance; the query string only tells the target who probed.
      `  - { name: shared-target, type: http, url: "http://127.0.0.1:${targetPort}/health?from=${name}", interval: ${PROBE_INTERVAL_MS}ms, timeout: 500ms }`,
      '',
    ].join('\n'),
  );
  return startServer({
    cwd: dir,
    args: ['--data-dir', home],
    env: { DATABASE_URL: db.databaseUrl!, REDIS_URL, FIREBREAK_CONFIG: file, FIREBREAK_ADMIN_TOKEN: ADMIN },
    timeoutMs: 60_000,
  });
}

interface ProbeOwner {
  probe: string;
  owner: string | null;
}
async function probeOwners(s: ServerProcess): Promise<ProbeOwner[] | null> {
  const h = await call(s.url, 'GET', '/api/health/detailed');
  return h.body?.components?.cluster?.probes ?? null;
}

before(async () => {
  target = http.createServer((req, res) => {
    hits.push({ from: new URL(req.url!, 'http://x').searchParams.get('from') ?? '?', at: Date.now() });
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetPort = (target.address() as { port: number }).port;
  db = await createTestDatabase('server', { TEST_DATABASE_URL: PG_URL });
  [nodes.a, nodes.b, nodes.c] = await Promise.all([start('a'), start('b'), start('c')]);
});

after(async () => {
  for (const s of Object.values(nodes)) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
  await new Promise((r) => target?.close(r));
  await deleteRedisPrefix(REDIS_URL, PREFIX);
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster: sessions, sign-in limits, live views and probes shared by 3 instances', () => {
  test('a session made on one instance works on the others (reads and CSRF-protected writes)', async () => {
    const s = await signIn(nodes.a.url, ADMIN);
    for (const n of [nodes.a, nodes.b, nodes.c]) {
      const me = await call(n.url, 'GET', '/api/v1/session', { bearer: null, cookie: s.cookie });
      assert.equal(me.status, 200, `${n.url}: ${JSON.stringify(me.body)}`);
      assert.equal(me.body.csrf_token, s.csrf, 'the same session everywhere');
    }
    const made = await call(nodes.c.url, 'POST', '/api/v1/incidents', {
      bearer: null,
      cookie: s.cookie,
      csrf: s.csrf,
      body: { type: 'shared_session', severity: 'low', title: 'made on c with a session from a' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  });

  test("the dashboard's live views show changes made through another instance", async () => {
    // The dashboard polls the API (web/src/use-poll.ts), which reads the shared database: no in-process bus to relay.
    const s = await signIn(nodes.a.url, ADMIN);
    const made = await call(nodes.b.url, 'POST', '/api/v1/incidents', {
      body: { type: 'live_view', severity: 'high', title: 'made on b' },
    });
    assert.equal(made.status, 201);
    const seen = await call(nodes.a.url, 'GET', '/api/v1/incidents?type=live_view', { bearer: null, cookie: s.cookie });
    assert.equal(seen.status, 200);
    assert.deepEqual(
      seen.body.items.map((i: { id: unknown }) => i.id),
      [made.body.id],
      'the incident made on b is in the list a serves',
    );
    const ack = await call(nodes.c.url, 'POST', `/api/v1/incidents/${made.body.id}/acknowledge`, {
      bearer: null,
      cookie: s.cookie,
      csrf: s.csrf,
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const again = await call(nodes.a.url, 'GET', `/api/v1/incidents/${made.body.id}`, { bearer: null, cookie: s.cookie });
    assert.equal(again.body.status, 'acknowledged', 'the acknowledgement made on c is what a shows');
  });

  test('signing out on one instance ends the session on every instance', async () => {
    const s = await signIn(nodes.a.url, ADMIN);
    assert.equal((await call(nodes.c.url, 'GET', '/api/v1/incidents', { bearer: null, cookie: s.cookie })).status, 200);
    const out = await call(nodes.b.url, 'DELETE', '/api/v1/session', { bearer: null, cookie: s.cookie, csrf: s.csrf });
    assert.equal(out.status, 204);
    for (const n of [nodes.a, nodes.b, nodes.c]) {
      assert.equal((await call(n.url, 'GET', '/api/v1/session', { bearer: null, cookie: s.cookie })).status, 401, n.url);
      assert.equal((await call(n.url, 'GET', '/api/v1/incidents', { bearer: null, cookie: s.cookie })).status, 401, n.url);
    }
  });

  test('revoking a token through one instance ends its sessions on all of them at once', async () => {
    const tok = await call(nodes.a.url, 'POST', '/api/v1/tokens', { body: { role: 'responder', name: 'leaving-shared' } });
    assert.equal(tok.status, 201);
    const onA = await signIn(nodes.a.url, tok.body.token);
    const onB = await signIn(nodes.b.url, tok.body.token);
    for (const [s, n] of [
      [onA, nodes.b],
      [onB, nodes.a],
    ] as const)
      assert.equal((await call(n.url, 'GET', '/api/v1/incidents', { bearer: null, cookie: s.cookie })).status, 200);
    assert.equal((await call(nodes.c.url, 'DELETE', `/api/v1/tokens/${tok.body.id}`)).status, 200);
    // No waiting: no instance caches sessions.
    for (const s of [onA, onB])
      for (const n of [nodes.a, nodes.b, nodes.c])
        assert.equal((await call(n.url, 'GET', '/api/v1/incidents', { bearer: null, cookie: s.cookie })).status, 401, n.url);
  });

  test(`${LOGIN_MAX_FAILURES} failed sign-ins spread round-robin over 3 instances reach the limit on every instance`, async () => {
    // Each instance sees only 3 or 4 of them: counted per instance, none would be limited.
    const prefix = `fbk_${randomBytes(3).toString('hex')}`;
    const order = [nodes.a, nodes.b, nodes.c];
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const r = await call(order[i % 3]!.url, 'POST', '/api/v1/session', { bearer: null, body: { token: `${prefix}-wrong-${i}` } });
      assert.equal(r.status, 401, `attempt ${i + 1}: ${JSON.stringify(r.body)}`);
    }
    for (const n of order) {
      const r = await call(n.url, 'POST', '/api/v1/session', { bearer: null, body: { token: `${prefix}-again` } });
      assert.equal(r.status, 429, `${n.url}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'rate_limited');
      assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After is set');
    }
    assert.equal(
      (await call(nodes.b.url, 'POST', '/api/v1/session', { bearer: null, body: { token: ADMIN } })).status,
      200,
      'another token still signs in',
    );
  });

  test('a probe is run by exactly one instance per interval; after SIGKILL of its owner another takes it within seconds', async () => {
    const owner = await until('the probe to have an owner everyone agrees on', async () => {
      const views = await Promise.all([nodes.a, nodes.b, nodes.c].map(probeOwners));
      const owners = new Set(views.map((v) => v?.find((p) => p.probe === 'shared-target')?.owner));
      return owners.size === 1 && [...owners][0] ? ([...owners][0] as 'a' | 'b' | 'c') : undefined;
    });
    // Steady state: over 6 intervals, every hit comes from the owner, about one per interval.
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 6 * PROBE_INTERVAL_MS));
    const window = hits.filter((h) => h.at >= t0);
    assert.deepEqual([...new Set(window.map((h) => h.from))], [owner], `only the owner probes: ${JSON.stringify(window)}`);
    assert.ok(window.length >= 4 && window.length <= 8, `about one hit per interval, not three (${window.length} in 6 s)`);

    await nodes[owner].kill9();
    const killedAt = Date.now();
    const first = await until(
      'another instance to take the probe',
      async () => hits.find((h) => h.at > killedAt && h.from !== owner),
      15_000,
    );
    const takeoverMs = first.at - killedAt;
    console.log(`# probe taken over by ${first.from} ${takeoverMs} ms after SIGKILL of ${owner} (lease 3 s)`);
    assert.ok(takeoverMs < 6_000, `taken over within a few seconds (${takeoverMs} ms)`);
    const survivor = Object.values(nodes).find((n) => n !== nodes[owner])!;
    const newOwner = await until('health to name the new owner', async () => {
      const o = (await probeOwners(survivor))?.find((p) => p.probe === 'shared-target')?.owner;
      return o && o !== owner ? o : undefined;
    });
    assert.equal(newOwner, first.from);
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 4 * PROBE_INTERVAL_MS));
    const after = hits.filter((h) => h.at >= t1);
    assert.deepEqual([...new Set(after.map((h) => h.from))], [newOwner], `one instance probes again: ${JSON.stringify(after)}`);
    assert.ok(after.length <= 6, `still about one hit per interval (${after.length} in 4 s)`);
  });
});
