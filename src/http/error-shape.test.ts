// Every error answer has Firebreak's shape, {"error": {code, message}}, also
// those the router produces before any route runs: a path segment longer than
// the router's limit (414) and a path that does not decode (400). Over a real
// socket too, since the router's own answers bypass inject()'s usual path.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';
import { MAX_PARAM_LENGTH } from './error-map.ts';

const long = 'x'.repeat(5000);

function assertShape(body: unknown, code: string, what: string): void {
  assert.equal(typeof body, 'object', `${what}: a JSON object`);
  const err = (body as { error?: { code?: unknown; message?: unknown } }).error;
  assert.equal(typeof err, 'object', `${what}: {"error": {...}}, got ${JSON.stringify(body).slice(0, 200)}`);
  assert.equal(err!.code, code, what);
  assert.equal(typeof err!.message, 'string', what);
  assert.ok((err!.message as string).length < 300, `${what}: the message does not echo the whole path`);
}

for (const backend of testBackends()) {
  describe(`error shape of the router's own answers (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend, { configYaml: { server: { port: 0 } } });
    });
    after(() => t?.close());

    test('a path parameter longer than the limit answers 414 uri_too_long, whatever the method', async () => {
      for (const [method, url] of [
        ['GET', `/api/v1/incidents/${long}`],
        ['GET', `/api/v1/incidents/${long}/timeline`],
        ['POST', `/api/v1/incidents/${long}/acknowledge`],
        ['DELETE', `/api/v1/allowlist/${long}`],
      ] as const) {
        const r = await t.call(method, url, method === 'POST' ? {} : undefined);
        assert.equal(r.status, 414, `${method} ${url.slice(0, 40)}…`);
        assertShape(r.body, 'uri_too_long', `${method} ${url.slice(0, 40)}…`);
      }
    });

    test('a parameter at the limit is an ordinary lookup (404 not_found)', async () => {
      const r = await t.call('GET', `/api/v1/incidents/${'9'.repeat(MAX_PARAM_LENGTH)}`);
      assert.equal(r.status, 404);
      assertShape(r.body, 'not_found', 'at the limit');
    });

    test('a path that does not decode answers 400 invalid', async () => {
      const r = await t.call('POST', '/api/v1/incidents/%zz/acknowledge', {});
      assert.equal(r.status, 400);
      assertShape(r.body, 'invalid', 'bad escape');
    });

    test('over a socket as well', async () => {
      const base = await t.fb.listen();
      const r = await fetch(`${base}/api/v1/incidents/${long}/resolve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(r.status, 414);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assertShape(await r.json(), 'uri_too_long', 'socket');
    });
  });
}
