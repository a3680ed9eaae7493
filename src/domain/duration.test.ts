import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDuration, formatGoDuration } from './duration.ts';

test('parseDuration accepts the documented units and rejects junk', () => {
  const cases: [string, number | null][] = [
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['0', 0],
    ['', null],
    ['10', null],
    ['1x', null],
    ['-1h', null],
    ['h', null],
  ];
  for (const [input, want] of cases) assert.equal(parseDuration(input), want, input);
});

test('formatDuration and formatGoDuration', () => {
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  assert.equal(formatGoDuration(59_500), '59.500s');
  assert.equal(formatGoDuration(-1000), '-1s');
});
