// Outbound webhooks of automated actions have an enforced deadline: a
// receiver that accepts the request and never answers fails the attempt
// (retryable), and one that never even reads stops it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createAppWebhookSender } from './app-webhook.ts';
import { createResponseRuntime } from './runtime.ts';

const payload = {
  id: 'act_1',
  action: 'lock_account' as const,
  user_id: 'alice',
  incident: { id: 'inc_1', type: 'account_compromise', severity: 'critical', title: 't' },
  reason: 'r',
  at: '2026-03-02T08:00:00.000Z',
};

test('an application webhook that never answers times out, retryable', async (t) => {
  const hang = createHttpServer(() => undefined);
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  t.after(() => {
    hang.closeAllConnections();
    hang.close();
  });
  const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/hook`;
  const send = createAppWebhookSender({ webhook_url: url, webhook_secret: 's'.repeat(16) }, { now: Date.now, timeoutMs: 200 });
  const r = await send(payload);
  assert.equal(r.ok, false);
  assert.equal(r.retryable, true);
  assert.equal(r.error, 'app webhook: timed out after 200 ms');
});

test('a generic webhook action to a peer that accepts the connection and says nothing times out', async (t) => {
  const sockets = new Set<Socket>();
  const mute = createTcpServer((s) => void sockets.add(s.on('error', () => undefined)));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    mute.close();
  });
  const rt = createResponseRuntime({ app: {}, timeoutMs: 200, logger: { error: () => undefined, info: () => undefined } });
  const r = await rt.postWebhook(`http://127.0.0.1:${(mute.address() as AddressInfo).port}/x`, { a: 1 }, 'key-1');
  assert.equal(r.ok, false);
  assert.equal(r.retryable, true);
  assert.match(r.error!, /^webhook: timed out after 200 ms$/);
  assert.equal(sockets.size, 1);
});
