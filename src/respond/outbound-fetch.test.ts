import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOutboundFetch, OUTBOUND_REFUSED } from './outbound-fetch.ts';
import { postJson } from '../notify/webhook-channel.ts';

let server: http.Server;
let port: number;
let hits = 0;
let answer = { status: 200, body: 'ok' };
before(async () => {
  server = http.createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const post = (f: typeof fetch, url: string) => postJson('hook', url, '{}', {}, { fetch: f, timeoutMs: 2000 });

test('loopback, private and metadata addresses are refused before connecting, as a final failure', async () => {
  const f = createOutboundFetch({ allow: [] });
  const before0 = hits;
  for (const url of [
    `http://127.0.0.1:${port}/api/v1/tokens`,
    `http://[::1]:${port}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
  ]) {
    const r = await post(f, url);
    assert.equal(r.ok, false, url);
    assert.equal(r.retryable, false, url);
    assert.match(r.error!, /refused to connect .*(loopback|link-local|private) address; list it in outbound\.allow/, r.error);
  }
  await assert.rejects(f(`http://127.0.0.1:${port}/`), (e: { cause?: { code?: string } }) => e.cause?.code === OUTBOUND_REFUSED);
  assert.equal(hits, before0, 'nothing reached the receiver');
});

test('a name is checked on the address the socket connects to (DNS rebinding)', async () => {
  const f = createOutboundFetch({ allow: [], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
  const before0 = hits;
  const r = await post(f, `http://hooks.example:${port}/`);
  assert.equal(r.ok, false);
  assert.match(r.error!, /hooks\.example \(127\.0\.0\.1\): loopback/);
  assert.equal(hits, before0);
  const byName = createOutboundFetch({ allow: ['hooks.example'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
  assert.equal((await post(byName, `http://hooks.example:${port}/`)).ok, true, 'a host name in outbound.allow may resolve privately');
});

test('outbound.allow opens a range; the answer body is never echoed, only a bare error code', async () => {
  const f = createOutboundFetch({ allow: ['127.0.0.0/8'] });
  answer = { status: 200, body: 'ok' };
  assert.deepEqual(await post(f, `http://127.0.0.1:${port}/`), { ok: true, status: 200, retryable: false });
  answer = { status: 500, body: '{"token":"fbk_secret_from_an_internal_page"}' };
  const r = await post(f, `http://127.0.0.1:${port}/`);
  assert.equal(r.ok, false);
  assert.equal(r.error, 'hook: HTTP 500');
  answer = { status: 404, body: 'no_service' };
  assert.equal((await post(f, `http://127.0.0.1:${port}/`)).error, 'hook: HTTP 404 no_service');
});
