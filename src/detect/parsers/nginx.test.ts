import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NginxParser } from './nginx.ts';
import type { FbEvent } from '../../domain/event.ts';

const us = (iso: string) => Date.parse(iso) * 1000;

test('nginx: combined lines, with and without request time', () => {
  // The format says where the request time is (`combined_request_time` = combined + ` $request_time`).
  const cases: [string, Partial<FbEvent>, string?][] = [
    [
      '203.0.113.5 - - [10/Oct/2026:13:55:36 +0200] "GET /api/items?page=2 HTTP/1.1" 200 512 "-" "curl/8.5.0" 0.123',
      {
        type: 'http.request',
        tsUs: us('2026-10-10T11:55:36Z'),
        ip: '203.0.113.5',
        method: 'GET',
        route: '/api/items',
        status: 200,
        bytes: 512,
        user_agent: 'curl/8.5.0',
        latency_ms: 123,
      },
      'combined_request_time',
    ],
    [
      '2001:DB8::5 - alice [01/Jan/2026:00:00:00 -0130] "POST /login HTTP/2.0" 503 - "https://x/?a=\\"b\\"" "Mozilla/5.0 (X11; \\"q\\")"',
      {
        tsUs: us('2026-01-01T01:30:00Z'),
        ip: '2001:db8::5',
        user_id: 'alice',
        method: 'POST',
        route: '/login',
        status: 503,
        bytes: 0,
        user_agent: 'Mozilla/5.0 (X11; \\"q\\")',
        latency_ms: undefined,
      },
    ],
    [
      '192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 304 0 "-" "-" 2.000',
      { ip: '192.0.2.1', route: '/', status: 304, bytes: 0, user_agent: undefined, latency_ms: 2000 },
      'combined_request_time',
    ],
    [
      '192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET /x HTTP/1.1" 200 10 "-" "ua" "10.0.0.1" rt=0.007',
      { route: '/x', latency_ms: undefined },
    ],
    [
      '192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET /x HTTP/1.1" 200 10 "-" "ua" rt=0.007',
      { latency_ms: 7 },
      '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time',
    ],
    // Without $request_time in the format a trailing number is not a request time (Apache %D, other tools' fields).
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET /x HTTP/1.1" 200 10 "-" "ua" 5000000', { latency_ms: undefined, status: 200 }],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET /common HTTP/1.0" 404 7', { route: '/common', status: 404, bytes: 7 }],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "-" 400 0 "-" "-"', { method: undefined, route: undefined, status: 400 }],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"', { method: undefined, route: undefined, status: 400 }],
    [
      '192.0.2.1 - - [2026-10-10T13:55:36+02:00] "GET /iso HTTP/1.1" 200 1 "-" "-" 0.5',
      { tsUs: us('2026-10-10T11:55:36Z'), route: '/iso', latency_ms: 500 },
      'combined_request_time',
    ],
  ];
  for (const [line, want, logFormat] of cases) {
    const p = new NginxParser({ logFormat });
    const ev = p.parse(line);
    assert.ok(ev, `${line}: ${p.reason}`);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(ev[k as keyof FbEvent], v, `${k} of ${line}`);
  }
});

test('nginx: malformed lines are unparseable, blank lines ignored', () => {
  const cases: [string, 'ignored' | 'unparseable', string?][] = [
    ['', 'ignored'],
    ['   ', 'ignored'],
    ['not a log line', 'unparseable', 'invalid address'],
    ['example.com - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1', 'unparseable', 'invalid address'],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36] "GET / HTTP/1.1" 200 1', 'unparseable', 'invalid time'],
    ['192.0.2.1 - - [32/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1', 'unparseable', 'invalid time'],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1 200 1', 'unparseable', 'unterminated request'],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" OK 1', 'unparseable', 'invalid status'],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 x', 'unparseable', 'invalid byte count'],
    ['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "unterminated', 'unparseable', 'unterminated user agent'],
  ];
  for (const [line, skip, reason] of cases) {
    const p = new NginxParser();
    assert.equal(p.parse(line), null, line);
    assert.equal(p.skip, skip, `${line}: ${p.reason}`);
    if (reason) assert.equal(p.reason, reason, line);
  }
});
