/**
 * KeyTable holds what a Map holds, through growth, shrinking and deletions that shift entries back,
 * for int keys of every sign (IPv4 bits as int32) and text keys alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable } from './key-table.ts';
import { seededRandom } from '../seeded-random.ts';

test('random sets and deletes agree with a Map, keys clustered and spread, through growth and shrinking', () => {
  const r = seededRandom(7);
  const table = new KeyTable<number>();
  const ref = new Map<number | string, number>();
  // Keys from a small pool (collisions, reinsertions) and a wide one, negative and zero included.
  const key = (): number | string => {
    const x = r();
    if (x < 0.1) return `2001:db8::${Math.floor(r() * 300).toString(16)}`;
    if (x < 0.6) return (Math.floor(r() * 5000) - 2500) | 0;
    return (Math.floor(r() * 2 ** 32) | 0) as number;
  };
  for (let step = 0; step < 200_000; step++) {
    // Grow for the first half, then mostly delete: the table must shrink back and stay right.
    const deleting = step < 100_000 ? r() < 0.35 : r() < 0.7;
    const k = key();
    if (deleting) {
      assert.equal(table.delete(k), ref.delete(k), `delete ${k}`);
    } else if (!ref.has(k)) {
      table.set(k, step);
      ref.set(k, step);
    }
    if (step % 997 === 0) {
      assert.equal(table.size, ref.size);
      for (const [rk, rv] of ref) assert.equal(table.get(rk), rv, `get ${rk}`);
    }
    assert.equal(table.get(k), ref.get(k));
  }
  for (const k of [...ref.keys()]) assert.equal(table.delete(k), true);
  assert.equal(table.size, 0);
  assert.equal(table.get(0), undefined);
  assert.equal(table.delete(0), false);
});

test('a run of keys with one home survives deleting any one of them', () => {
  // Keys that collide on purpose: probe runs wrap around the table's end.
  for (let victim = 0; victim < 40; victim++) {
    const table = new KeyTable<string>();
    const keys = Array.from({ length: 40 }, (_, i) => i * 64 - 1000);
    for (const k of keys) table.set(k, `v${k}`);
    assert.equal(table.delete(keys[victim]!), true);
    for (const k of keys) assert.equal(table.get(k), k === keys[victim] ? undefined : `v${k}`);
  }
});
