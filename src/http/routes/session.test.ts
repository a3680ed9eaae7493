import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { createFirebreak, type Firebreak } from '../../main.ts';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { createSessionStore, MAX_SESSIONS_PER_TOKEN, setSessionCookies, SESSION_IDLE_MS } from '../session-auth.ts';
import { sessionRoutes, LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS } from './session.ts';
import { staticRoutes } from './static.ts';
import type { HttpContext } from '../http-context.ts';
import { memoryFailureLimits } from '../../domain/auth-limits.ts';

interface Res {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  cookies: string[];
}

/** The `name=value` part of a Set-Cookie line, for sending it back. */
function cookiePair(setCookie: string[], name: string): string {
  const line = setCookie.find((c) => c.startsWith(`${name}=`));
  assert.ok(line, `no ${name} cookie in ${JSON.stringify(setCookie)}`);
  return line.split(';')[0]!;
}

for (const backend of testBackends()) {
  describe(`dashboard sessions (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date('2026-03-02T08:00:00.000Z');
    let ipSeq = 0;

    /** Calls the wired app like a browser: cookie + CSRF header, no Authorization. */
    async function call(
      method: string,
      url: string,
      opts: { cookie?: string; csrf?: string; body?: unknown; ip?: string; bearer?: string } = {},
    ): Promise<Res> {
      const headers: Record<string, string> = {};
      if (opts.cookie) headers.cookie = opts.cookie;
      if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
      if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await t.fb.app.inject({
        method: method as 'GET',
        url,
        headers,
        remoteAddress: opts.ip ?? '192.0.2.10',
        payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const sc = res.headers['set-cookie'];
      return {
        status: res.statusCode,
        body: res.body ? JSON.parse(res.body) : null,
        headers: res.headers,
        cookies: sc === undefined ? [] : Array.isArray(sc) ? sc : [sc],
      };
    }

    async function signIn(token: string, ip = '192.0.2.10'): Promise<{ cookie: string; csrf: string; body: any }> {
      const r = await call('POST', '/api/v1/session', { body: { token }, ip });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { cookie: cookiePair(r.cookies, 'fb_session'), csrf: r.body.csrf_token, body: r.body };
    }

    before(async () => {
      t = await startTestFirebreak(backend, { create: { clock: () => now } });
    });
    after(() => t.close());

    test('sign-in sets an httpOnly SameSite=Strict cookie holding a random id, never the token', async () => {
      const r = await call('POST', '/api/v1/session', { body: { token: TEST_ADMIN_TOKEN } });
      assert.equal(r.status, 200);
      assert.equal(r.body.role, 'admin');
      assert.equal(r.body.name, 'bootstrap-admin');
      assert.match(r.body.csrf_token, /^[A-Za-z0-9_-]{40,}$/);
      assert.deepEqual(r.body.permissions, ['read', 'incidents:write', 'decisions:write', 'events:write', 'admin']);
      assert.equal(typeof r.body.features, 'object');
      assert.equal(r.headers['cache-control'], 'no-store');
      const session = r.cookies.find((c) => c.startsWith('fb_session='))!;
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Strict/);
      assert.match(session, /; Path=\//);
      assert.doesNotMatch(session, /Secure/, 'plain http: no Secure flag (the browser would drop the cookie)');
      const id = session.split(';')[0]!.slice('fb_session='.length);
      assert.match(id, /^[A-Za-z0-9_-]{40,}$/);
      assert.ok(!session.includes(TEST_ADMIN_TOKEN) && id !== r.body.csrf_token);
      const hint = r.cookies.find((c) => c.startsWith('fb_signed_in='))!;
      assert.doesNotMatch(hint, /HttpOnly/, 'the hint is for scripts');
      assert.equal(hint.split(';')[0], 'fb_signed_in=1');
    });

    test('Secure is set when the request came over https', () => {
      const headers: Record<string, unknown> = {};
      const reply = {
        header: (k: string, v: unknown) => {
          headers[k] = v;
          return reply;
        },
      } as unknown as FastifyReply;
      setSessionCookies({ protocol: 'https' } as FastifyRequest, reply, 'abc');
      const lines = headers['set-cookie'] as string[];
      assert.ok(
        lines.every((l) => l.includes('; Secure')),
        JSON.stringify(lines),
      );
    });

    test('GET /session answers who is signed in; without a session 401 and the cookies are cleared', async () => {
      const s = await signIn(TEST_ADMIN_TOKEN);
      const me = await call('GET', '/api/v1/session', { cookie: s.cookie });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, s.body);
      const none = await call('GET', '/api/v1/session');
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthorized');
      assert.ok(
        none.cookies.some((c) => c.startsWith('fb_signed_in=;') && c.includes('Max-Age=0')),
        JSON.stringify(none.cookies),
      );
      const forged = await call('GET', '/api/v1/session', { cookie: 'fb_session=not-a-session' });
      assert.equal(forged.status, 401);
    });

    test('the session authenticates API calls; changes need the X-CSRF-Token header', async () => {
      const s = await signIn(TEST_ADMIN_TOKEN);
      assert.equal((await call('GET', '/api/v1/incidents', { cookie: s.cookie })).status, 200);
      const body = { type: 'session_test', severity: 'low', title: 'from the dashboard' };
      const noCsrf = await call('POST', '/api/v1/incidents', { cookie: s.cookie, body });
      assert.equal(noCsrf.status, 403);
      assert.equal(noCsrf.body.error.code, 'forbidden');
      assert.match(noCsrf.body.error.message, /missing or wrong CSRF token/);
      const wrong = await call('POST', '/api/v1/incidents', { cookie: s.cookie, csrf: `${s.csrf.slice(0, -1)}x`, body });
      assert.equal(wrong.status, 403);
      const otherSession = await signIn(TEST_ADMIN_TOKEN);
      assert.equal(
        (await call('POST', '/api/v1/incidents', { cookie: s.cookie, csrf: otherSession.csrf, body })).status,
        403,
        "another session's CSRF token does not fit",
      );
      const ok = await call('POST', '/api/v1/incidents', { cookie: s.cookie, csrf: s.csrf, body });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.created_by, 'bootstrap-admin');
      const note = await call('POST', `/api/v1/incidents/${ok.body.id}/notes`, {
        cookie: s.cookie,
        csrf: s.csrf,
        body: { text: 'via session' },
      });
      assert.equal(note.status, 201);
      assert.equal(note.body.actor, 'bootstrap-admin');
      const list = await t.call('GET', `/api/v1/incidents?type=session_test`);
      assert.equal(list.body.items.length, 1, 'the refused requests wrote nothing');
    });

    test('without a session or a token: 401; a bearer token still works on its own', async () => {
      assert.equal((await call('GET', '/api/v1/incidents')).status, 401);
      assert.equal((await call('GET', '/api/v1/incidents', { bearer: TEST_ADMIN_TOKEN })).status, 200);
      const body = { type: 'bearer_test', severity: 'low', title: 'b' };
      assert.equal(
        (await call('POST', '/api/v1/incidents', { bearer: TEST_ADMIN_TOKEN, body })).status,
        201,
        'no CSRF header needed with a bearer token',
      );
    });

    test('roles carry over: a viewer session reads but may not act; ingest and bouncer tokens cannot sign in', async () => {
      const viewer = await signIn(await t.makeToken('viewer', 'vera'));
      assert.equal(viewer.body.role, 'viewer');
      assert.deepEqual(viewer.body.permissions, ['read']);
      const inc = await t.call('POST', '/api/v1/incidents', { type: 'viewer_test', severity: 'high', title: 'v' });
      assert.equal((await call('GET', `/api/v1/incidents/${inc.body.id}`, { cookie: viewer.cookie })).status, 200);
      const ack = await call('POST', `/api/v1/incidents/${inc.body.id}/acknowledge`, { cookie: viewer.cookie, csrf: viewer.csrf });
      assert.equal(ack.status, 403);
      assert.match(ack.body.error.message, /role viewer/);
      const responder = await signIn(await t.makeToken('responder', 'rita'));
      assert.deepEqual(responder.body.permissions, ['read', 'incidents:write', 'decisions:write']);
      const ack2 = await call('POST', `/api/v1/incidents/${inc.body.id}/acknowledge`, { cookie: responder.cookie, csrf: responder.csrf });
      assert.equal(ack2.status, 200);
      assert.equal(ack2.body.acknowledged_by, 'rita');
      for (const role of ['ingest', 'bouncer']) {
        const r = await call('POST', '/api/v1/session', { body: { token: await t.makeToken(role) } });
        assert.equal(r.status, 403, role);
        assert.match(r.body.error.message, /cannot use the dashboard/);
        assert.equal(r.cookies.length, 0);
      }
    });

    test('sign-out needs the CSRF header, ends the session and clears the cookies', async () => {
      const s = await signIn(TEST_ADMIN_TOKEN);
      const refused = await call('DELETE', '/api/v1/session', { cookie: s.cookie });
      assert.equal(refused.status, 403);
      assert.equal((await call('GET', '/api/v1/session', { cookie: s.cookie })).status, 200, 'still signed in');
      const out = await call('DELETE', '/api/v1/session', { cookie: s.cookie, csrf: s.csrf });
      assert.equal(out.status, 204);
      assert.ok(out.cookies.some((c) => c.startsWith('fb_session=;') && c.includes('Max-Age=0') && c.includes('HttpOnly')));
      assert.equal((await call('GET', '/api/v1/session', { cookie: s.cookie })).status, 401);
      assert.equal((await call('GET', '/api/v1/incidents', { cookie: s.cookie })).status, 401);
      assert.equal((await call('DELETE', '/api/v1/session')).status, 204, 'signing out twice is harmless');
    });

    test('signing in again replaces the session presented with the request', async () => {
      const a = await signIn(TEST_ADMIN_TOKEN);
      const r = await call('POST', '/api/v1/session', { cookie: a.cookie, body: { token: TEST_ADMIN_TOKEN } });
      assert.equal(r.status, 200);
      assert.notEqual(cookiePair(r.cookies, 'fb_session'), a.cookie);
      assert.equal((await call('GET', '/api/v1/session', { cookie: a.cookie })).status, 401);
    });

    test('sessions expire after 12 h without use, and every use slides the expiry', async () => {
      const s = await signIn(TEST_ADMIN_TOKEN);
      now = new Date(now.getTime() + SESSION_IDLE_MS - 60_000);
      assert.equal((await call('GET', '/api/v1/incidents', { cookie: s.cookie })).status, 200);
      now = new Date(now.getTime() + SESSION_IDLE_MS - 60_000);
      assert.equal((await call('GET', '/api/v1/session', { cookie: s.cookie })).status, 200, 'the previous use extended it');
      now = new Date(now.getTime() + SESSION_IDLE_MS);
      assert.equal((await call('GET', '/api/v1/session', { cookie: s.cookie })).status, 401);
    });

    test('revoking the token ends its sessions', async () => {
      const secret = await t.makeToken('responder', 'leaving');
      const s = await signIn(secret);
      const tokens = await t.call('GET', '/api/v1/tokens');
      const id = tokens.body.items.find((x: { name: string }) => x.name === 'leaving').id;
      assert.equal((await t.call('DELETE', `/api/v1/tokens/${id}`)).status, 200);
      now = new Date(now.getTime() + 31_000);
      assert.equal((await call('GET', '/api/v1/incidents', { cookie: s.cookie })).status, 401);
      assert.equal((await call('POST', '/api/v1/session', { body: { token: secret } })).status, 401);
    });

    test(`sign-in is rate-limited per token prefix: ${LOGIN_MAX_FAILURES} failures a minute, then 429 with Retry-After`, async () => {
      const ip = `198.51.100.${++ipSeq}`;
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
        const r = await call('POST', '/api/v1/session', { body: { token: `fbk_typo00-${i}` }, ip });
        assert.equal(r.status, 401, `attempt ${i + 1}`);
        now = new Date(now.getTime() + 1000);
      }
      const limited = await call('POST', '/api/v1/session', { body: { token: 'fbk_typo00-again' }, ip });
      assert.equal(limited.status, 429, 'the same prefix waits');
      assert.equal(limited.body.error.code, 'rate_limited');
      assert.equal(limited.headers['retry-after'], '50');
      assert.equal(limited.cookies.length, 0);
      assert.equal(
        (await call('POST', '/api/v1/session', { body: { token: TEST_ADMIN_TOKEN }, ip })).status,
        200,
        'another token from the same address (a colleague behind the same proxy) still signs in',
      );
      now = new Date(now.getTime() + 50_000);
      assert.equal(
        (await call('POST', '/api/v1/session', { body: { token: 'fbk_typo00-x' }, ip })).status,
        401,
        'the oldest failure left the window',
      );
    });

    test(`sign-in is rate-limited per address: ${LOGIN_MAX_FAILURES_PER_ADDRESS} failures a minute with varied tokens`, async () => {
      const ip = `198.51.100.${++ipSeq}`;
      for (let i = 0; i < LOGIN_MAX_FAILURES_PER_ADDRESS; i++) {
        const r = await call('POST', '/api/v1/session', { body: { token: `g${String(i).padStart(9, '0')}-guess` }, ip });
        assert.equal(r.status, 401, `attempt ${i + 1}`);
      }
      const limited = await call('POST', '/api/v1/session', { body: { token: TEST_ADMIN_TOKEN }, ip });
      assert.equal(limited.status, 429, 'even a good token waits at this address');
      assert.match(limited.body.error.message, /from this address/);
      assert.equal(
        (await call('POST', '/api/v1/session', { body: { token: TEST_ADMIN_TOKEN }, ip: '198.51.100.200' })).status,
        200,
        'other addresses are not affected',
      );
      now = new Date(now.getTime() + 61_000);
    });

    test('a revoked token stops its sessions at the next request, without waiting', async () => {
      const secret = await t.makeToken('responder', 'fired');
      const s = await signIn(secret);
      const s2 = await signIn(secret);
      const body = { type: 'revoked_session_test', severity: 'low', title: 'r' };
      assert.equal((await call('POST', '/api/v1/incidents', { cookie: s.cookie, csrf: s.csrf, body })).status, 201);
      const id = (await t.call('GET', '/api/v1/tokens')).body.items.find((x: { name: string }) => x.name === 'fired').id;
      assert.equal((await t.call('DELETE', `/api/v1/tokens/${id}`)).status, 200);
      // same clock: no 30 s grace
      assert.equal((await call('POST', '/api/v1/incidents', { cookie: s.cookie, csrf: s.csrf, body })).status, 401);
      assert.equal((await call('GET', '/api/v1/incidents', { cookie: s2.cookie })).status, 401);
    });

    test(`one token keeps at most ${MAX_SESSIONS_PER_TOKEN} sessions: its own oldest go, nobody else's`, async () => {
      const admin = await signIn(TEST_ADMIN_TOKEN);
      const viewerToken = await t.makeToken('viewer', 'many-tabs');
      const first = await signIn(viewerToken);
      for (let i = 0; i < 300; i++) {
        const r = await call('POST', '/api/v1/session', { body: { token: viewerToken } });
        assert.equal(r.status, 200);
      }
      assert.equal((await call('GET', '/api/v1/session', { cookie: admin.cookie })).status, 200, 'the admin is still signed in');
      assert.equal((await call('GET', '/api/v1/session', { cookie: first.cookie })).status, 401, "the viewer's oldest session went");
      const viewerId = (await t.call('GET', '/api/v1/tokens')).body.items.find((x: { name: string }) => x.name === 'many-tabs').id;
      const store = createSessionStore(t.fb.deps);
      assert.equal(await store.size(viewerId), MAX_SESSIONS_PER_TOKEN, 'the cap holds in the database');
      assert.ok((await store.size()) > MAX_SESSIONS_PER_TOKEN, "other tokens' sessions are still there");
    });

    test('bad sign-in bodies: 400 with a clear message, not counted as failures', async () => {
      const ip = `198.51.100.${++ipSeq}`;
      for (let i = 0; i < LOGIN_MAX_FAILURES + 2; i++) {
        const r = await call('POST', '/api/v1/session', { body: { token: '' }, ip });
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /token/);
      }
      assert.equal((await call('POST', '/api/v1/session', { body: { tok: 'x' }, ip })).status, 400);
      assert.equal((await call('POST', '/api/v1/session', { body: { token: TEST_ADMIN_TOKEN }, ip })).status, 200);
    });

    test('features name the optional endpoints this server has, ignoring the dashboard wildcard', async () => {
      const app = Fastify();
      const ctx = {
        deps: t.fb.deps,
        sessions: createSessionStore(t.fb.deps),
        limits: memoryFailureLimits(),
        webDist: '/nonexistent',
      } as HttpContext;
      app.get('/api/v1/schedules', async () => ({ items: [] }));
      app.post('/api/v1/incidents/:id/steps/:stepId/approve', async () => ({}));
      sessionRoutes(app, ctx);
      staticRoutes(app, ctx);
      const r = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TEST_ADMIN_TOKEN } });
      assert.equal(r.statusCode, 200, r.body);
      const features = JSON.parse(r.body).features;
      assert.equal(features.schedules, true);
      assert.equal(features.step_approve, true, 'parameter names do not matter');
      assert.equal(features.step_complete, false);
      assert.equal(features.decisions, false, 'GET /* of the dashboard is not the decisions API');
      assert.equal(features.timeseries, false);
      await app.close();
    });
  });
}

for (const backend of testBackends()) {
  describe(`dashboard sessions in the database (${backend})`, () => {
    test('a session survives a restart, and the database holds only the hash of its id', async () => {
      const t = await startTestFirebreak(backend);
      let again: Firebreak | undefined;
      try {
        const r = await t.fb.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: TEST_ADMIN_TOKEN } });
        assert.equal(r.statusCode, 200, r.body);
        const line = ([] as string[]).concat(r.headers['set-cookie'] as string | string[]).find((c) => c.startsWith('fb_session='))!;
        const cookie = line.split(';')[0]!;
        const id = cookie.slice('fb_session='.length);
        await t.fb.close();
        again = await createFirebreak(t.config, { logger: pino({ level: 'silent' }), background: false });
        const me = await again.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
        assert.equal(me.statusCode, 200, `still signed in after the restart: ${me.body}`);
        const rows = (await again.deps.db.query<{ id_hash: string; csrf: string }>('SELECT id_hash, csrf FROM dashboard_sessions')).rows;
        assert.deepEqual(
          rows.map((x) => x.id_hash),
          [createHash('sha256').update(id).digest('hex')],
          'stored as its SHA-256 hash',
        );
        assert.ok(!JSON.stringify(rows).includes(id), 'never the id itself');
      } finally {
        await again?.close();
        await t.tdb.destroy();
      }
    });
  });
}
