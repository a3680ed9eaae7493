import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NginxErrorParser } from './nginx-error.ts';
import { compileLogFormat } from './nginx-format.ts';
import { NginxParser } from './nginx.ts';

const REAL = '203.0.113.77';
const FAKE = '198.51.100.98';
const HEAD = '2026/10/10 13:00:01 [error] 811#811: *7 ';

test('nginx-error: basic-auth failures and limit_req rejections, in the source time zone', () => {
  const p = new NginxErrorParser({ timeZone: 'Europe/Berlin' });
  const ev = p.parse(`${HEAD}user "bob": password mismatch, client: ${REAL}, server: x, request: "GET /a?b HTTP/1.1", host: "x"`);
  assert.deepEqual(ev, {
    type: 'auth.login_failed',
    tsUs: Date.parse('2026-10-10T11:00:01Z') * 1000,
    ip: REAL,
    user_id: 'bob',
    route: '/a',
  });
  const lr = p.parse(
    `${HEAD}limiting requests, excess: 1.5 by zone "one", client: ${REAL}, server: x, request: "POST /api HTTP/1.1", host: "x"`,
  );
  assert.deepEqual([lr?.type, lr?.ip, lr?.route], ['http.rate_limited', REAL, '/api']);
  assert.equal(p.parse(`${HEAD}delaying request, excess: 0.5 by zone "one", client: ${REAL}, server: x`), null);
  assert.equal(p.skip, 'ignored');
  assert.equal(p.parse('garbage'), null);
  assert.equal(p.skip, 'unparseable');
});

test('nginx-error injection: a client address in the user name, request or Host header is never charged', () => {
  const lines: [string, string | null][] = [
    [`user "a, client: ${FAKE}, server: x": password mismatch, client: ${REAL}, server: x, request: "GET / HTTP/1.1", host: "x"`, REAL],
    [`user "a": password mismatch, client: ${REAL}, server: x, request: "GET /, client: ${FAKE}, server: y HTTP/1.1", host: "x"`, REAL],
    [
      `user "a": password mismatch, client: ${FAKE}, server: x, request: "": password mismatch, client: ${REAL}, server: x, request: "GET / HTTP/1.1", host: "x"`,
      null,
    ],
    [
      `user "b" was not found in "/etc/h", client: ${REAL}, server: x, request: "GET / HTTP/1.1", host: ", client: ${FAKE}, server: "`,
      REAL,
    ],
    [`limiting requests, excess: 1 by zone "z", client: ${REAL}, server: x, request: "GET /, client: ${FAKE}, server: x", host: "x"`, REAL],
  ];
  for (const [msg, want] of lines) {
    const p = new NginxErrorParser();
    const ev = p.parse(HEAD + msg);
    assert.equal(ev?.ip ?? null, want, `${msg} (${p.reason})`);
  }
});

test('log_format: presets, custom strings, Apache syntax; unusable formats are precise errors', () => {
  assert.equal(compileLogFormat('main').steps.at(-1)!.name, '$http_x_forwarded_for');
  assert.throws(() => compileLogFormat('$remote_user [$time_local] $status'), /no client address/);
  assert.throws(() => compileLogFormat('$remote_addr $status'), /no time/);
  assert.throws(() => compileLogFormat('$remote_addr [$time_local]'), /no status/);
  assert.throws(() => compileLogFormat('$remote_addr [$time_local] $status$body_bytes_sent'), /nothing between them/);
  const p = new NginxParser({ logFormat: '$remote_addr [$time_iso8601] "$request_method $request_uri" $status rt=$request_time' });
  const ev = p.parse('192.0.2.1 [2026-10-10T13:55:36+02:00] "POST /x?y=1" 201 rt=0.250');
  assert.deepEqual([ev?.method, ev?.route, ev?.status, ev?.latency_ms], ['POST', '/x', 201, 250]);
  const a = new NginxParser({ logFormat: 'apache_common' });
  assert.equal(a.parse('192.0.2.1 - frank [10/Oct/2026:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326')?.user_id, 'frank');
});

test('trusted_proxies: the right-most untrusted X-Forwarded-For entry; an untrusted peer is the client itself', () => {
  const p = new NginxParser({ logFormat: 'main', trustedProxies: ['10.0.0.0/8', '2001:db8:ffff::/48'] });
  const line = (peer: string, xff: string) => `${peer} - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" "${xff}"`;
  assert.equal(p.parse(line('10.0.0.5', `${FAKE}, ${REAL}, 10.1.1.1`))?.ip, REAL);
  assert.equal(p.parse(line('10.0.0.5', `${REAL}`))?.ip, REAL);
  assert.equal(p.parse(line('10.0.0.5', '-'))?.ip, '10.0.0.5');
  assert.equal(p.parse(line('10.0.0.5', `${FAKE}, garbage, 10.2.2.2`))?.ip, '10.2.2.2');
  assert.equal(p.parse(line('2001:db8:ffff::1', `${REAL}`))?.ip, REAL);
  assert.equal(p.parse(line('192.0.2.200', `${FAKE}`))?.ip, '192.0.2.200');
});
