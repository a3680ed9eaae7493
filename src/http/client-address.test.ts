import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';
import { BEARER_MAX_FAILURES } from './auth.ts';

for (const backend of testBackends()) {
  describe(`client address, TLS and auth limits behind a trusted proxy (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend, { configYaml: { server: { trust_proxy: ['10.0.0.0/8'] } } });
    });
    after(() => t.close());

    const signIn = (remoteAddress: string, headers: Record<string, string> = {}, token = TEST_ADMIN_TOKEN) =>
      t.fb.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        remoteAddress,
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ token }),
      });
    const cookies = (r: { headers: Record<string, unknown> }) => ([] as string[]).concat((r.headers['set-cookie'] as string[]) ?? []);

    test('the session cookie is Secure when a trusted proxy says the client used https, not when anyone else says so', async () => {
      const viaProxy = await signIn('10.1.2.3', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
      assert.equal(viaProxy.statusCode, 200);
      assert.ok(
        cookies(viaProxy).every((c) => c.includes('; Secure')),
        JSON.stringify(cookies(viaProxy)),
      );
      const spoofed = await signIn('192.0.2.50', { 'x-forwarded-proto': 'https' });
      assert.equal(spoofed.statusCode, 200);
      assert.ok(
        cookies(spoofed).every((c) => !c.includes('Secure')),
        'an untrusted peer cannot claim TLS',
      );
    });

    test('sign-in failures count against the client behind the proxy, not the proxy', async () => {
      for (let i = 0; i < 60; i++) {
        const r = await signIn('10.1.2.3', { 'x-forwarded-for': '203.0.113.66' }, `fbk_bad${String(i).padStart(3, '0')}-x`);
        assert.ok(r.statusCode === 401 || r.statusCode === 429, String(r.statusCode));
      }
      assert.equal((await signIn('10.1.2.3', { 'x-forwarded-for': '203.0.113.66' })).statusCode, 429, 'the guesser is limited');
      assert.equal(
        (await signIn('10.1.2.3', { 'x-forwarded-for': '203.0.113.67' })).statusCode,
        200,
        'a colleague behind the same proxy is not',
      );
      // an untrusted peer's X-Forwarded-For is ignored: it cannot pick the address it is counted under
      assert.equal((await signIn('192.0.2.99', { 'x-forwarded-for': '203.0.113.66' })).statusCode, 200);
    });

    test(`bearer API: ${BEARER_MAX_FAILURES} failed authentications from one address, then 429 for that address only`, async () => {
      const bearer = (token: string, ip: string) =>
        t.fb.app.inject({ method: 'GET', url: '/api/v1/incidents', remoteAddress: ip, headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < BEARER_MAX_FAILURES; i++) assert.equal((await bearer(`wrong-${i}`, '192.0.2.77')).statusCode, 401);
      const limited = await bearer(TEST_ADMIN_TOKEN, '192.0.2.77');
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await bearer(TEST_ADMIN_TOKEN, '192.0.2.78')).statusCode, 200);
    });
  });
}

describe('server.secure_cookies: true marks the cookie Secure on plain http too', () => {
  let t: TestFirebreak;
  before(async () => {
    t = await startTestFirebreak('embedded', { configYaml: { server: { secure_cookies: true } } });
  });
  after(() => t.close());
  test('Secure without TLS', async () => {
    const r = await t.fb.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
    });
    assert.equal(r.statusCode, 200);
    assert.ok(([] as string[]).concat(r.headers['set-cookie'] as string[]).every((c) => c.includes('; Secure')));
  });
});
