import { test } from 'node:test';
import assert from 'node:assert/strict';
import { banDurationMs, ordinal } from './ban-duration.ts';

const H = 3_600_000;

test('repeat offenders: base × factor^(n-1), capped at max (never below the base)', () => {
  const policy = { increment: true, factor: 2, max: 7 * 24 * H };
  const cases: [number, number, typeof policy, number][] = [
    [H, 0, policy, H],
    [H, 1, policy, 2 * H],
    [H, 2, policy, 4 * H],
    [H, 7, policy, 128 * H],
    [H, 8, policy, 168 * H],
    [H, 5000, policy, 168 * H],
    [H, 3, { ...policy, factor: 1.5 }, 3.375 * H],
    [H, 3, { ...policy, increment: false }, H],
    [10 * 24 * H, 2, policy, 10 * 24 * H],
  ];
  for (const [base, prior, p, want] of cases) assert.equal(banDurationMs(base, prior, p), want, `${base} ${prior} ${JSON.stringify(p)}`);
});

test('ordinals', () => {
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal), [
    '1st',
    '2nd',
    '3rd',
    '4th',
    '11th',
    '12th',
    '13th',
    '21st',
    '22nd',
    '101st',
    '111th',
  ]);
});
