import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeScan, civilToUs, formatTsUs, indexIn, lastIndexIn, scanRfc3339 } from './time.ts';

test('formatTsUs: whole seconds without a fraction, else trailing zeros trimmed', () => {
  const base = Date.UTC(2026, 2, 2, 8, 0, 4) * 1000;
  const cases: [number, string][] = [
    [base, '2026-03-02T08:00:04Z'],
    [base + 218229, '2026-03-02T08:00:04.218229Z'],
    [base + 500000, '2026-03-02T08:00:04.5Z'],
    [base + 120, '2026-03-02T08:00:04.00012Z'],
    [base + 1, '2026-03-02T08:00:04.000001Z'],
  ];
  for (const [us, want] of cases) assert.equal(formatTsUs(us), want);
});

test('scanRfc3339 agrees with Date.parse, offsets and fractions included', () => {
  const s = new TimeScan();
  const cases: [string, number | null][] = [
    ['2026-03-02T08:00:00Z', Date.parse('2026-03-02T08:00:00Z') * 1000],
    ['2026-03-02t08:00:00z', Date.parse('2026-03-02T08:00:00Z') * 1000],
    ['2026-03-02 08:00:00+00:00', Date.parse('2026-03-02T08:00:00Z') * 1000],
    ['2026-03-02T08:00:00.218229+00:00', Date.parse('2026-03-02T08:00:00Z') * 1000 + 218229],
    ['2026-03-02T08:00:00.9-05:30', Date.parse('2026-03-02T13:30:00Z') * 1000 + 900000],
    ['2026-03-02T08:00:00+0530', Date.parse('2026-03-02T02:30:00Z') * 1000],
    ['1999-12-31T23:59:59Z', Date.parse('1999-12-31T23:59:59Z') * 1000],
    ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z') * 1000],
    ['2023-02-29T00:00:00Z', null],
    ['2026-13-01T00:00:00Z', null],
    ['2026-03-02T24:00:00Z', null],
    ['2026-03-02T08:00:00.Z', null],
    ['2026-03-02T08:00:00+5:00', null],
  ];
  for (const [text, want] of cases) {
    const ok = scanRfc3339(text, 0, s, true) && s.end === text.length;
    assert.equal(ok ? s.us : null, want, text);
  }
  assert.ok(Number.isNaN(civilToUs(2026, 4, 31, 0, 0, 0, 0)));
});

test('indexIn and lastIndexIn give what indexOf and lastIndexOf give, within their bounds', () => {
  const texts = ['', ' ', 'a from b from c', ' from ', 'x from', 'from  from ', 'aaa', '  ', 'a b  c '];
  const lits = [' ', ' from ', 'from', 'a', '  '];
  for (const t of texts)
    for (const lit of lits)
      for (let p = -2; p <= t.length + 2; p++)
        for (let b = -1; b <= t.length + 2; b++) {
          const f = t.indexOf(lit, p);
          assert.equal(
            indexIn(t, lit, p, b),
            f >= 0 && f < b ? f : -1,
            `indexIn(${JSON.stringify(t)}, ${JSON.stringify(lit)}, ${p}, ${b})`,
          );
          if (b < 0) continue;
          const l = t.lastIndexOf(lit, p);
          assert.equal(lastIndexIn(t, lit, p, b), l >= b ? l : -1, `lastIndexIn(${JSON.stringify(t)}, ${JSON.stringify(lit)}, ${p}, ${b})`);
        }
});
