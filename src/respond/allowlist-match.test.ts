import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AllowlistIndex,
  cidrsOverlap,
  configAllowEntries,
  findAllowlisted,
  fixedAllowlistIndex,
  LOOPBACK_ENTRIES,
  type AllowEntry,
} from './allowlist-match.ts';
import { canonicalCidr } from './decision-target.ts';
import { seededRandom as rng } from '../domain/seeded-random.ts';

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

/** Random ranges crowded into a few small spaces, so nesting, duplicates and near misses are common. */
function randomCidr(r: () => number): string {
  const int = (n: number) => Math.floor(r() * n);
  if (r() < 0.005) return r() < 0.5 ? '0.0.0.0/0' : '::/0';
  if (r() < 0.55) {
    const a = [10, 10, 192, 203][int(4)]!;
    const text = `${a}.${int(3)}.${int(4)}.${int(256)}`;
    return r() < 0.4 ? text : `${text}/${[8, 16, 20, 24, 28, 30, 31, 32][int(8)]}`;
  }
  if (r() < 0.1) return `::ffff:10.${int(3)}.${int(4)}.${int(256)}/${96 + int(33)}`; // mapped: the same space as IPv4
  const text = `2001:db8:${int(3).toString(16)}:${int(4).toString(16)}::${int(65536).toString(16)}`;
  return r() < 0.3 ? text : `${text}/${[16, 32, 33, 48, 64, 100, 127, 128][int(8)]}`;
}

test('the index agrees with the plain scan on random lists and targets, IPv4 and IPv6', () => {
  const r = rng(11);
  let totalHits = 0;
  for (let round = 0; round < 40; round++) {
    const entries: AllowEntry[] = [...LOOPBACK_ENTRIES];
    const size = round < 30 ? 1 + Math.floor(r() * 40) : 400;
    for (let i = 0; i < size; i++) {
      const cidr = canonicalCidr(randomCidr(r))!;
      entries.push({ id: `e${i}`, cidr: cidr.text, note: null, source: 'api' });
    }
    const index = new AllowlistIndex(entries);
    assert.equal(index.size, entries.length);
    let hits = 0;
    for (let k = 0; k < 500; k++) {
      const target = canonicalCidr(randomCidr(r))!;
      const want = findAllowlisted(entries, target);
      assert.equal(index.find(target), want, `round ${round}: ${target.text}`);
      if (want) hits++;
      assert.equal(index.exact(target), entries.find((e) => e.cidr === target.text) ?? null, `exact ${target.text}`);
    }
    totalHits += hits;
  }
  assert.ok(totalHits > 1000 && totalHits < 40 * 500 - 1000, `both outcomes are common (${totalHits} hits of ${40 * 500})`);
});

test('the fixed index holds loopback and the file, once per list', () => {
  const list = Object.freeze(['198.51.100.0/24', '2001:db8::/48']);
  const idx = fixedAllowlistIndex(list);
  assert.equal(fixedAllowlistIndex(list), idx, 'built once');
  assert.equal(idx.find(c('127.0.0.1'))?.id, 'builtin:loopback4');
  assert.equal(idx.find(c('198.51.100.9'))?.id, 'config:0');
  assert.equal(idx.find(c('2001:db8::/16'))?.id, 'config:1', 'a wider range containing an entry touches it');
  assert.equal(idx.exact(c('198.51.100.0/24'))?.id, 'config:0');
  assert.equal(idx.exact(c('198.51.100.0/25')), null);
  assert.equal(idx.find(c('203.0.113.1')), null);
});
