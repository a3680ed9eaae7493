import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NdjsonParser } from './ndjson.ts';
import type { FbEvent } from '../../domain/event.ts';

const us = (iso: string, frac = 0) => Date.parse(iso) * 1000 + frac;

test('ndjson: valid events', () => {
  const cases: [unknown, FbEvent][] = [
    [
      { type: 'auth.login_failed', ts: '2026-03-02T08:00:00.218229Z', ip: '203.0.113.5', user_id: 'root' },
      { type: 'auth.login_failed', tsUs: us('2026-03-02T08:00:00Z', 218229), ip: '203.0.113.5', user_id: 'root' },
    ],
    [
      {
        type: 'http.request',
        ts: '2026-03-02T09:00:00+01:00',
        ip: '2001:0DB8::1',
        status: 503,
        latency_ms: 12.5,
        route: '/a',
        method: 'GET',
        bytes: 3,
        user_agent: 'x',
      },
      {
        type: 'http.request',
        tsUs: us('2026-03-02T08:00:00Z'),
        ip: '2001:db8::1',
        status: 503,
        latency_ms: 12.5,
        route: '/a',
        method: 'GET',
        bytes: 3,
        user_agent: 'x',
      },
    ],
    [
      { type: 'auth.login_succeeded', ts: '2026-03-02T08:00:00Z', user_id: 42 },
      { type: 'auth.login_succeeded', tsUs: us('2026-03-02T08:00:00Z'), user_id: '42' },
    ],
    [
      { type: 'custom.thing', ts: '2026-03-02T08:00:00Z', attrs: { a: 1 }, region: 'eu', message: 'hi' },
      { type: 'custom.thing', tsUs: us('2026-03-02T08:00:00Z'), message: 'hi', attrs: { a: 1, region: 'eu' } },
    ],
    [
      { type: 'app.error', ts: '2026-03-02T08:00:00.1234567Z', ip: null },
      { type: 'app.error', tsUs: us('2026-03-02T08:00:00Z', 123456) },
    ],
  ];
  for (const [obj, want] of cases) {
    const p = new NdjsonParser();
    assert.deepEqual(p.parse(JSON.stringify(obj)), want, JSON.stringify(obj));
  }
});

test('ndjson: invalid lines are skipped with a reason', () => {
  const cases: [string, 'ignored' | 'unparseable', string][] = [
    ['', 'ignored', 'blank line'],
    ['{"type":"x"', 'unparseable', 'invalid JSON'],
    ['[1,2]', 'unparseable', 'not a JSON object'],
    ['"x"', 'unparseable', 'not a JSON object'],
    ['{"ts":"2026-03-02T08:00:00Z"}', 'unparseable', 'type must be a non-empty string'],
    ['{"type":"","ts":"2026-03-02T08:00:00Z"}', 'unparseable', 'type must be a non-empty string'],
    ['{"type":"a"}', 'unparseable', 'ts must be an RFC 3339 string'],
    ['{"type":"a","ts":1772438400}', 'unparseable', 'ts must be an RFC 3339 string'],
    ['{"type":"a","ts":"2026-03-02T08:00:00"}', 'unparseable', 'ts must be an RFC 3339 string with a zone, e.g. 2026-03-02T08:00:00Z'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Zjunk"}', 'unparseable', 'ts must be an RFC 3339 string with a zone, e.g. 2026-03-02T08:00:00Z'],
    ['{"type":"a","ts":"2026-02-30T08:00:00Z"}', 'unparseable', 'ts must be an RFC 3339 string with a zone, e.g. 2026-03-02T08:00:00Z'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Z","ip":"1.2.3.999"}', 'unparseable', 'ip must be an IPv4 or IPv6 address'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Z","status":"500"}', 'unparseable', 'status must be an HTTP status code (100-599)'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Z","latency_ms":-1}', 'unparseable', 'latency_ms must be a non-negative number'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Z","route":5}', 'unparseable', 'route must be a string'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Z","user_id":{}}', 'unparseable', 'user_id must be a string'],
    ['{"type":"a","ts":"2026-03-02T08:00:00Z","attrs":[1]}', 'unparseable', 'attrs must be an object'],
  ];
  for (const [line, skip, reason] of cases) {
    const p = new NdjsonParser();
    assert.equal(p.parse(line), null, line);
    assert.equal(p.skip, skip, line);
    assert.equal(p.reason, reason, line);
  }
});
