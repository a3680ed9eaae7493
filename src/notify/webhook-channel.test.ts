import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookChannel, verifyWebhookSignature, signWebhook } from './webhook-channel.ts';
import { deliverWithRetry } from './deliver.ts';
import type { Notification } from './channel.ts';

const sampleNotification: Notification = {
  kind: 'incident.escalated',
  incident: {
    id: 'inc_1',
    type: 'brute_force_attempt',
    severity: 'high',
    status: 'triggered',
    title: 'Brute force from 203.0.113.5',
    dedup_key: 'ip:203.0.113.5',
    created_at: '2026-03-02T08:00:00.000Z',
    ack_deadline: '2026-03-02T09:00:00.000Z',
  },
  level: 2,
  ackUrl: 'https://firebreak.example/ack/abc.def',
};

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A real loopback receiver answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(
  statuses: number[],
  extraHeaders: Record<string, string> = {},
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ method: req.method!, headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      res.writeHead(status, { 'content-type': 'text/plain', ...extraHeaders }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, server };
}

/** Independent signature check, as a receiver would write it (not using our helper). */
function receiverVerifies(header: string, raw: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const want = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
}

test('signed webhook: 500 then 200 is retried and the receiver verifies every attempt', async (t) => {
  const { url, got, server } = await receiver([500, 200]);
  t.after(() => server.close());
  const secret = 'whsec_test_0123456789';
  const channel = createWebhookChannel({ name: 'ops-hook', url, secret });
  const seen: [number, boolean, number | undefined][] = [];
  const sleeps: number[] = [];
  const report = await deliverWithRetry(channel, sampleNotification, {
    baseDelayMs: 10,
    sleep: async (ms) => void sleeps.push(ms),
    onAttempt: (n, r) => seen.push([n, r.ok, r.status]),
  });
  assert.equal(report.ok, true);
  assert.deepEqual(seen, [
    [1, false, 500],
    [2, true, 200],
  ]);
  assert.equal(report.attempts[0]!.retryable, true);
  assert.equal(sleeps.length, 1);
  assert.equal(got.length, 2);
  for (const r of got) {
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['user-agent'], 'firebreak');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const sig = String(r.headers['x-firebreak-signature']);
    assert.ok(receiverVerifies(sig, r.raw, secret), 'signature verifies');
    assert.ok(!receiverVerifies(sig, r.raw.replace('high', 'low'), secret), 'a changed body does not verify');
    assert.ok(!receiverVerifies(sig, r.raw, 'other'), 'another secret does not verify');
    assert.ok(Math.abs(Number(/^t=(\d+)/.exec(sig)![1]) - Date.now() / 1000) < 60);
    assert.deepEqual(JSON.parse(r.raw), {
      event: 'incident.escalated',
      incident: sampleNotification.incident,
      level: 2,
      ack_url: 'https://firebreak.example/ack/abc.def',
    });
  }
});

test('unsigned webhook has no signature header; absent level and ack link are null', async (t) => {
  const { url, got, server } = await receiver([204]);
  t.after(() => server.close());
  const r = await createWebhookChannel({ name: 'plain', url }).send({ kind: 'test', incident: sampleNotification.incident, text: 'hello' });
  assert.deepEqual(r, { ok: true, status: 204, retryable: false });
  assert.equal(got[0]!.headers['x-firebreak-signature'], undefined);
  assert.deepEqual(JSON.parse(got[0]!.raw), {
    event: 'test',
    incident: sampleNotification.incident,
    level: null,
    ack_url: null,
    text: 'hello',
  });
});

test('status classification: 4xx and 3xx are final, 429 is retryable with Retry-After', async (t) => {
  const cases: [number, Record<string, string>, boolean, number | undefined][] = [
    [400, {}, false, undefined],
    [404, {}, false, undefined],
    [302, { location: 'http://127.0.0.1:1/elsewhere' }, false, undefined],
    [429, { 'retry-after': '7' }, true, 7000],
    [503, {}, true, undefined],
  ];
  for (const [status, headers, retryable, retryAfterMs] of cases) {
    const { url, got, server } = await receiver([status], headers);
    t.after(() => server.close());
    const report = await deliverWithRetry(createWebhookChannel({ name: 'h', url }), sampleNotification, {
      attempts: 3,
      sleep: async () => undefined,
    });
    const first = report.attempts[0]!;
    assert.equal(first.ok, false, String(status));
    assert.equal(first.status, status);
    assert.equal(first.retryable, retryable, String(status));
    assert.equal(first.retryAfterMs, retryAfterMs, String(status));
    assert.equal(got.length, retryable ? 3 : 1, `${status}: attempts`);
    assert.ok(!first.error!.includes(url), 'errors never contain the URL');
  }
});

test('network errors and timeouts are retryable', async (t) => {
  // A port that was just closed: connection refused.
  const { url: closedUrl, server: closed } = await receiver([200]);
  await new Promise((r) => closed.close(r));
  const refused = await createWebhookChannel({ name: 'h', url: closedUrl }).send(sampleNotification);
  assert.equal(refused.ok, false);
  assert.equal(refused.retryable, true);
  assert.match(refused.error!, /network error/);

  // A server that never answers: the per-attempt timeout fires.
  const hang = createServer(() => undefined);
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  t.after(() => {
    hang.closeAllConnections();
    hang.close();
  });
  const port = (hang.address() as AddressInfo).port;
  const started = Date.now();
  const slow = await createWebhookChannel({ name: 'h', url: `http://127.0.0.1:${port}/` }, { timeoutMs: 150 }).send(sampleNotification);
  assert.equal(slow.retryable, true);
  assert.match(slow.error!, /timed out after 150 ms/);
  assert.ok(Date.now() - started < 5000);

  // The caller's abort wins over the timeout and stops the retry loop.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const report = await deliverWithRetry(createWebhookChannel({ name: 'h', url: `http://127.0.0.1:${port}/` }), sampleNotification, {
    signal: ac.signal,
  });
  assert.equal(report.attempts.length, 1);
  assert.match(report.attempts[0]!.error!, /aborted/);
});

test('verifyWebhookSignature accepts fresh signatures and rejects stale or altered ones', () => {
  const now = 1_800_000_000_000;
  const header = signWebhook('{"a":1}', 's3cret', now);
  assert.equal(verifyWebhookSignature(header, '{"a":1}', 's3cret', now + 1000), true);
  assert.equal(verifyWebhookSignature(header, '{"a":2}', 's3cret', now), false);
  assert.equal(verifyWebhookSignature(header, '{"a":1}', 'other', now), false);
  assert.equal(verifyWebhookSignature(header, '{"a":1}', 's3cret', now + 301_000), false);
  assert.equal(verifyWebhookSignature('v1=abc', '{"a":1}', 's3cret', now), false);
});
