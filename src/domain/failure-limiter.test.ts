import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingLimiter } from './failure-limiter.ts';

test('a key is blocked once it reaches the limit inside the window, until the oldest event leaves it', () => {
  const l = new SlidingLimiter({ limit: 3, windowMs: 60_000 });
  l.record('a', 0);
  l.record('a', 10_000);
  assert.equal(l.blockedForMs('a', 10_000), 0);
  l.record('a', 20_000);
  assert.equal(l.blockedForMs('a', 20_000), 40_000);
  assert.equal(l.blockedForMs('b', 20_000), 0, 'other keys are free');
  assert.equal(l.blockedForMs('a', 60_000), 0, 'the first event left the window');
  l.record('a', 61_000);
  assert.equal(l.blockedForMs('a', 61_000), 9_000);
  assert.equal(l.count('a', 61_000), 3);
});

test('memory stays bounded: keys and timestamps per key', () => {
  const l = new SlidingLimiter({ limit: 5, windowMs: 60_000, maxKeys: 100 });
  for (let i = 0; i < 10_000; i++) l.record(`k${i}`, i);
  assert.ok(l.size <= 100, `${l.size} keys`);
  for (let i = 0; i < 10_000; i++) l.record('one', 100_000);
  assert.equal(l.count('one', 100_000), 5);
  assert.ok(l.blockedForMs('one', 100_000) > 0);
});
