import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBuckets } from './token-bucket.js';

test('token bucket: burst, refill, retry-after, pruning', () => {
  const b = new TokenBuckets({ ratePerSec: 10, burst: 20 });
  const t = 1_000_000;
  for (let i = 0; i < 20; i++) assert.equal(b.take('a', t), 0);
  assert.equal(b.take('a', t), 1);
  assert.equal(b.take('a', t + 100), 0, '100 ms at 10/s refills one token');
  assert.equal(b.take('a', t + 100), 1);
  const slow = new TokenBuckets({ ratePerSec: 0.2, burst: 1 });
  assert.equal(slow.take('x', t), 0);
  assert.equal(slow.take('x', t), 5, 'Retry-After rounds up to whole seconds');
  b.prune(t + 1999);
  assert.equal(b.size, 1);
  b.prune(t + 2100);
  assert.equal(b.size, 0, 'a bucket that has refilled is forgotten');
  assert.throws(() => new TokenBuckets({ ratePerSec: 0 }), TypeError);
});

test('token bucket: the number of buckets is capped', () => {
  const b = new TokenBuckets({ ratePerSec: 1, burst: 5, maxBuckets: 3 });
  const t = 1_000_000;
  for (const k of ['a', 'b', 'c']) assert.equal(b.take(k, t), 0);
  assert.equal(b.take('d', t), 1, 'at the cap a new address gets no burst');
  assert.equal(b.size, 3);
  assert.equal(b.take('a', t), 0, 'known addresses keep their buckets');
  assert.equal(b.take('e', t + 10_000), 0, 'once idle buckets are pruned there is room again');
});
