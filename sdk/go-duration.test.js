import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoDuration } from './go-duration.js';

test('parseGoDuration: Go duration text to milliseconds', () => {
  const table = [
    ['59m58.123s', 3_598_123],
    ['1h0m0s', 3_600_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['-2.5s', -2500],
    ['0s', 0],
    ['0', 0],
    ['2562047h47m16.854775807s', 9_223_372_036_854.775],
  ];
  for (const [text, ms] of table) assert.ok(Math.abs(parseGoDuration(text) - ms) < 1e-3, `${text} → ${parseGoDuration(text)}`);
  for (const bad of ['', '1', '1h2', 'h', '1d', '--1s', 'abc', null]) assert.equal(parseGoDuration(bad), null, String(bad));
});
