import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNotificationSender } from './notification-sender.ts';

const quiet = { error: () => undefined, warn: () => undefined };

/** A deliver function whose sends for `stuck` channels hang until released. */
function fakeDeliver(channelOf: (id: string) => string, stuck: Set<string>) {
  const done: string[] = [];
  const hanging: { id: string; release: () => void }[] = [];
  const deliver = (id: string) =>
    new Promise<void>((resolve) => {
      if (stuck.has(channelOf(id))) hanging.push({ id, release: resolve });
      else {
        done.push(id);
        resolve();
      }
    });
  return { deliver, done, hanging };
}

test('a stuck channel holds only its own slots: the others are sent while it hangs', async () => {
  const f = fakeDeliver((id) => id.split('-')[0]!, new Set(['mail']));
  const sender = createNotificationSender({ deliver: f.deliver, logger: quiet, concurrency: 8, perChannel: 3 });
  for (let i = 0; i < 10; i++) sender.enqueue(`mail-${i}`, 'c', 'mail');
  sender.enqueue('hook-1', 'c', 'hook');
  sender.enqueue('slack-1', 'c', 'slack');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(f.done.sort(), ['hook-1', 'slack-1'], 'delivered although ten mails are queued first');
  assert.equal(f.hanging.length, 3, 'the mail channel has its three slots, no more');
  assert.deepEqual(sender.stats(), { queued: 7, sending: 3, sent: 2, errors: 0, expired: 0 });
  // A slot freed by the stuck channel goes to its next mail.
  f.hanging.shift()!.release();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(f.hanging.length, 3);
  assert.equal(sender.stats().queued, 6);
  while (f.hanging.length > 0) {
    f.hanging.shift()!.release();
    await new Promise((r) => setImmediate(r));
  }
  await sender.drain();
  assert.equal(sender.stats().sent, 12);
});

test('the overall limit still applies, shared round robin between channels', async () => {
  const f = fakeDeliver(() => 'x', new Set(['x']));
  const sender = createNotificationSender({ deliver: f.deliver, logger: quiet, concurrency: 4, perChannel: 4 });
  for (let i = 0; i < 6; i++) sender.enqueue(`a-${i}`, 'c', 'a');
  for (let i = 0; i < 6; i++) sender.enqueue(`b-${i}`, 'c', 'b');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(f.hanging.map((h) => h.id).sort(), ['a-0', 'a-1', 'b-0', 'b-1']);
  f.hanging.forEach((h) => h.release());
  await sender.stop();
});

test('a claim that waited longer than maxWaitMs is left to the lease watchdog, not started', async () => {
  let clock = 0;
  const f = fakeDeliver(() => 'mail', new Set(['mail']));
  const warned: unknown[] = [];
  const sender = createNotificationSender({
    deliver: f.deliver,
    logger: { error: () => undefined, warn: (o: unknown) => void warned.push(o) },
    perChannel: 1,
    maxWaitMs: 15_000,
    now: () => clock,
  });
  sender.enqueue('m1', 'c', 'mail');
  sender.enqueue('m2', 'c', 'mail');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    f.hanging.map((h) => h.id),
    ['m1'],
  );
  clock = 16_000; // m1's send took (too) long; m2's lease is half gone
  f.hanging.shift()!.release();
  await sender.drain();
  assert.equal(f.hanging.length, 0, 'm2 was not started');
  assert.equal(sender.stats().expired, 1);
  assert.equal(warned.length, 1);
});
