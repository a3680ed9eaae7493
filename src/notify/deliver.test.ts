import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffDelay, deliverWithRetry } from './deliver.ts';
import { createWebhookChannel } from './webhook-channel.ts';
import type { Channel, Notification } from './channel.ts';

const msg: Notification = {
  kind: 'test',
  incident: {
    id: 'inc_1',
    type: 'ddos',
    severity: 'high',
    status: 'triggered',
    title: 't',
    created_at: '2026-03-02T08:00:00.000Z',
    ack_deadline: '2026-03-02T09:00:00.000Z',
  },
};

test('backoffDelay: exponential, equal jitter, capped, honours Retry-After', () => {
  const fail = { ok: false, retryable: true };
  const t = (random: number) => ({ baseDelayMs: 500, maxDelayMs: 30_000, random: () => random });
  // [attempt, random, retryAfterMs, expected]
  const cases: [number, number, number | undefined, number][] = [
    [1, 0, undefined, 250],
    [1, 0.999999, undefined, 500],
    [2, 0, undefined, 500],
    [3, 0.5, undefined, 1500],
    [7, 0, undefined, 15_000], // 500 * 64 = 32000 → capped at 30000, then jitter floor 15000
    [7, 1, undefined, 30_000],
    [20, 0.5, undefined, 22_500],
    [1, 0, 7000, 7000],
    [1, 0, 120_000, 30_000], // Retry-After cannot exceed the cap
  ];
  for (const [attempt, random, retryAfterMs, want] of cases) {
    const result = retryAfterMs === undefined ? fail : { ...fail, retryAfterMs };
    assert.equal(backoffDelay(attempt, result, t(random)), want, `attempt ${attempt}, random ${random}, retry-after ${retryAfterMs}`);
  }
});

/** A loopback receiver answering with the given statuses in order (the last repeats). */
async function hook(t: { after: (fn: () => void) => void }, statuses: number[]): Promise<{ channel: Channel; hits: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(statuses[Math.min(n++, statuses.length - 1)]!).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { channel: createWebhookChannel({ name: 'h', url }), hits: () => n };
}

test('deliverWithRetry stops on success, on a final failure, or after the last attempt', async (t) => {
  // [statuses, attempts option, expected statuses seen, ok]
  const cases: [number[], number, number[], boolean][] = [
    [[200], 5, [200], true],
    [[503, 502, 200], 5, [503, 502, 200], true],
    [[503, 400, 200], 5, [503, 400], false],
    [[500], 5, [500, 500, 500, 500, 500], false],
    [[500], 2, [500, 500], false],
    [[500], 0, [500], false], // at least one attempt
  ];
  for (const [statuses, attempts, want, ok] of cases) {
    const { channel, hits } = await hook(t, statuses);
    const sleeps: number[] = [];
    const report = await deliverWithRetry(channel, msg, { attempts, random: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    assert.deepEqual(
      report.attempts.map((a) => a.status),
      want,
      `${statuses} x${attempts}`,
    );
    assert.equal(report.ok, ok);
    assert.equal(hits(), want.length);
    assert.deepEqual(sleeps, [250, 500, 1000, 2000].slice(0, want.length - 1), 'one growing wait between attempts');
  }
});

test('the default sleep really waits, and an abort during the wait ends the loop', async (t) => {
  const { channel, hits } = await hook(t, [500]);
  const started = Date.now();
  const report = await deliverWithRetry(channel, msg, { attempts: 2, baseDelayMs: 100, random: () => 0 });
  assert.ok(Date.now() - started >= 45, 'waited about baseDelay/2');
  assert.equal(report.attempts.length, 2);

  const ac = new AbortController();
  const aborted = deliverWithRetry(channel, msg, { attempts: 5, baseDelayMs: 60_000, signal: ac.signal, onAttempt: () => ac.abort() });
  const r = await aborted;
  assert.equal(r.attempts.length, 1);
  assert.equal(hits(), 3);
});

test('a channel that throws is recorded as a final failure, not thrown', async () => {
  const broken: Channel = { name: 'broken', type: 'test', send: () => Promise.reject(new Error('boom')) };
  const report = await deliverWithRetry(broken, msg, { sleep: async () => undefined });
  assert.deepEqual(report, { ok: false, attempts: [{ ok: false, error: 'broken: channel threw: boom', retryable: false }] });
});
