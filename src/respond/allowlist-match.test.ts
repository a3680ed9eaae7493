import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrsOverlap, configAllowEntries, findAllowlisted, LOOPBACK_ENTRIES } from './allowlist-match.ts';
import { canonicalCidr } from './decision-target.ts';

const c = (s: string) => canonicalCidr(s)!;

test('overlap of ranges, IPv4 and IPv6, mapped addresses in the same space', () => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.1.0.0/16', '10.0.0.0/8', true],
    ['0.0.0.0/0', '127.0.0.1', true],
    ['192.0.2.0/25', '192.0.2.128/25', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['::1', '127.0.0.1', false],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(cidrsOverlap(c(a), c(b)), want, `${a} ~ ${b}`);
    assert.equal(cidrsOverlap(c(b), c(a)), want, `${b} ~ ${a}`);
  }
});

test('the first entry touched is reported; loopback is always there', () => {
  const entries = [...LOOPBACK_ENTRIES, ...configAllowEntries(['198.51.100.0/24', '2001:db8::7'])];
  assert.equal(findAllowlisted(entries, c('127.4.5.6'))?.id, 'builtin:loopback4');
  assert.equal(findAllowlisted(entries, c('::1'))?.id, 'builtin:loopback6');
  assert.equal(findAllowlisted(entries, c('198.51.0.0/16'))?.id, 'config:0');
  assert.equal(findAllowlisted(entries, c('2001:db8::7'))?.id, 'config:1');
  assert.equal(findAllowlisted(entries, c('203.0.113.1')), null);
});
