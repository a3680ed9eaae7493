import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedCounts, labelFolder, OTHER_LABEL } from './bounded-labels.ts';

test('labelFolder keeps known values (up to the cap) and folds the rest into other', () => {
  const fold = labelFolder(['auth.login_failed', 'http.request', 'third'], 2);
  assert.equal(fold('auth.login_failed'), 'auth.login_failed');
  assert.equal(fold('http.request'), 'http.request');
  assert.equal(fold('third'), OTHER_LABEL, 'past the cap');
  assert.equal(fold('x-unique-123'), OTHER_LABEL);
});

test('boundedCounts keeps the largest labels and sums the rest, totals unchanged', () => {
  const m = new Map<string, number>(Array.from({ length: 1000 }, (_, i) => [`t${i}`, i + 1]));
  m.set(OTHER_LABEL, 5);
  const b = boundedCounts(m, 10);
  assert.equal(b.size, 10);
  assert.equal(b.get('t999'), 1000);
  assert.equal(b.has('t0'), false);
  const total = (x: Map<string, number>) => [...x.values()].reduce((s, n) => s + n, 0);
  assert.equal(total(b), total(m));
  const small = new Map([['a', 1]]);
  assert.deepEqual(boundedCounts(small, 10), small);
});
