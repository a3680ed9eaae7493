// The reporter against a real loopback ingest endpoint.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { createReporter } from './index.js';
import { INGEST_TOKEN, startFakeFirebreak, waitFor } from './testing/fake-firebreak.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

test('batches events, normalizes them, authenticates', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  const r = createReporter({ url: `${fb.url}/`, token: INGEST_TOKEN, maxBatch: 3, flushIntervalMs: 60_000 });
  t.after(() => r.stop());
  for (let i = 0; i < 6; i++) r.loginFailed({ ip: `::ffff:203.0.113.${i}`, userId: 'alice', route: '/login' });
  r.loginSucceeded({ ip: '2001:DB8::1', userId: 'bob' });
  assert.equal(r.pending, 7);
  await r.flush();
  assert.deepEqual(
    fb.batches.map((b) => b.events.length),
    [3, 3, 1],
  );
  assert.ok(fb.batches.every((b) => b.auth === `Bearer ${INGEST_TOKEN}`));
  const [first] = fb.batches[0].events;
  assert.match(first.ts, RFC3339);
  assert.deepEqual(
    { ...first, ts: undefined },
    { type: 'auth.login_failed', ts: undefined, ip: '203.0.113.0', user_id: 'alice', route: '/login' },
  );
  assert.deepEqual(fb.batches[2].events[0], {
    type: 'auth.login_succeeded',
    ts: fb.batches[2].events[0].ts,
    ip: '2001:db8::1',
    user_id: 'bob',
  });
  assert.equal(r.sent, 7);
  assert.equal(r.pending, 0);
});

test('sends on its own timer and as soon as a batch is full', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  const timed = createReporter({ url: fb.url, token: INGEST_TOKEN, flushIntervalMs: 30 });
  t.after(() => timed.stop());
  timed.report({ type: 'http.request', ip: '192.0.2.1', ts: '2026-03-02T08:00:00.218229+00:00', status: 500 });
  await waitFor(() => fb.batches.length === 1, 2000, 'timer flush');
  assert.deepEqual(fb.batches[0].events, [{ type: 'http.request', ip: '192.0.2.1', ts: '2026-03-02T08:00:00.218Z', status: 500 }]);

  const full = createReporter({ url: fb.url, token: INGEST_TOKEN, flushIntervalMs: 60_000, maxBatch: 2 });
  t.after(() => full.stop());
  full.loginFailed({ ip: '192.0.2.2' });
  full.loginFailed({ ip: '192.0.2.3' });
  await waitFor(() => fb.batches.length === 2, 2000, 'full-batch flush');
});

test('retries a 503 after Retry-After, delivering each event once', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  fb.answerEvents({ status: 503, headers: { 'retry-after': '1' } });
  const errors = [];
  const r = createReporter({ url: fb.url, token: INGEST_TOKEN, flushIntervalMs: 20, onError: (e) => errors.push(e.message) });
  t.after(() => r.stop());
  r.loginFailed({ ip: '192.0.2.1' });
  r.loginFailed({ ip: '192.0.2.2' });
  await waitFor(() => r.sent === 2, 3000, 'retry');
  const [failed, ok] = fb.batches;
  assert.equal(failed.status, 503);
  assert.equal(ok.status, 202);
  assert.ok(ok.at - failed.at >= 950, `waited ${ok.at - failed.at} ms for Retry-After: 1`);
  assert.deepEqual(
    ok.events.map((e) => e.ip),
    ['192.0.2.1', '192.0.2.2'],
  );
  assert.equal(fb.batches.length, 2);
  assert.match(errors[0], /503/);
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(fb.batches.length, 2, 'nothing sent twice');
});

test('429 without Retry-After backs off; other 4xx drop the batch', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  fb.answerEvents({ status: 429 }, { status: 400 });
  const r = createReporter({ url: fb.url, token: INGEST_TOKEN, flushIntervalMs: 20 });
  t.after(() => r.stop());
  r.loginFailed({ ip: '192.0.2.1' });
  // The fake records a batch before answering: wait for the reporter's view.
  await waitFor(() => r.dropped === 1, 3000, 'the 400 batch is dropped, not retried forever');
  assert.deepEqual(
    fb.batches.map((b) => b.status),
    [429, 400],
  );
  assert.ok(fb.batches[1].at - fb.batches[0].at >= 350, 'exponential backoff starts near 500 ms');
  assert.equal(r.pending, 0);
  r.loginFailed({ ip: '192.0.2.9' });
  await waitFor(() => r.sent === 1, 2000, 'recovered');
  assert.equal(fb.batches[2].status, 202);
});

test('bounded queue while Firebreak is down; bad input never throws', async (t) => {
  const probe = net.createServer();
  await new Promise((res) => probe.listen(0, '127.0.0.1', res));
  const { port } = probe.address();
  await new Promise((res) => probe.close(res));
  const r = createReporter({
    url: `http://127.0.0.1:${port}`,
    token: INGEST_TOKEN,
    flushIntervalMs: 60_000,
    maxQueue: 5,
    maxBackoffMs: 50,
  });
  t.after(() => r.stop());
  for (let i = 1; i <= 8; i++) r.loginFailed({ ip: `192.0.2.${i}` });
  assert.equal(r.pending, 5);
  assert.equal(r.dropped, 3);
  await r.flush(); // connection refused: resolves, keeps the events
  assert.equal(r.pending, 5);
  assert.doesNotThrow(() => {
    r.report(null);
    r.report({ ip: '192.0.2.1' });
    r.report({ type: 'x', ts: 'yesterday' });
    r.loginFailed({ ip: 'not-an-ip' });
    r.loginFailed();
    r.loginSucceeded(null);
  });
  assert.equal(r.dropped, 9);

  // Firebreak returns: the oldest surviving events are delivered in order.
  const fb = await startFakeFirebreak({ port });
  t.after(() => fb.close());
  await r.flush();
  assert.deepEqual(
    fb.batches[0].events.map((e) => e.ip),
    ['192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7', '192.0.2.8'],
  );
  r.stop();
  r.loginFailed({ ip: '192.0.2.1' });
  assert.equal(r.pending, 0);
});
