/**
 * A path-compressed binary trie (a PATRICIA / radix tree) of CIDR ranges in
 * the 128-bit address space (IPv4 held IPv4-mapped, as in ip.ts), answering
 * "which stored range, earliest inserted first, overlaps this one?".
 *
 * Two ranges overlap exactly when one contains the other, so for a target of
 * prefix length L the overlapping ranges are (a) those on the path from the
 * root down to depth L (they contain the target) and (b) everything in the
 * subtree below that point (the target contains them). Each node keeps the
 * earliest value stored exactly at it and the earliest in its subtree, so a
 * query walks at most one node per prefix bit: O(L). Insertion is the same
 * walk plus at most two new nodes, so loading n ranges is O(n · L), linear in
 * n, with at most 2n nodes (single-child chains are never materialised).
 */
import type { Cidr } from './ip.ts';
import { wordMask } from './ip-parse.ts';

interface Node {
  /** Network, host bits (beyond `len`) zero. */
  readonly w: [number, number, number, number];
  readonly len: number;
  /** Order of the earliest range stored at exactly this node, or Infinity. */
  here: number;
  /** Order of the earliest range in this subtree (this node included). */
  min: number;
  zero: Node | null;
  one: Node | null;
}

type Words = readonly [number, number, number, number] | readonly number[];

const bitAt = (w: Words, i: number): number => (w[i >>> 5]! >>> (31 - (i & 31))) & 1;

/** Length of the common prefix of `a` and `b`, at most `max`. */
function common(a: Words, b: Words, max: number): number {
  for (let k = 0; k < 4 && 32 * k < max; k++) {
    const x = (a[k]! ^ b[k]!) >>> 0;
    if (x !== 0) return Math.min(max, 32 * k + Math.clz32(x));
  }
  return max;
}

function node(w: Words, len: number, here: number, min: number): Node {
  const m: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) m[k] = (w[k]! & wordMask(len, k)) >>> 0;
  return { w: m, len, here, min, zero: null, one: null };
}

/** A set of ranges, each with a value; `firstOverlapping` returns the value inserted first among those that overlap. */
export class CidrTrie<V> {
  private readonly root: Node = node([0, 0, 0, 0], 0, Infinity, Infinity);
  private readonly values: V[] = [];

  get size(): number {
    return this.values.length;
  }

  insert(c: Pick<Cidr, 'words' | 'prefix128'>, value: V): void {
    const order = this.values.length;
    this.values.push(value);
    const w = c.words;
    const len = c.prefix128;
    let n = this.root;
    for (;;) {
      if (order < n.min) n.min = order;
      if (n.len === len) {
        if (order < n.here) n.here = order;
        return;
      }
      const b = bitAt(w, n.len);
      const child = b === 0 ? n.zero : n.one;
      let put: Node;
      if (child === null) put = node(w, len, order, order);
      else {
        const c2 = common(child.w, w, Math.min(child.len, len));
        if (c2 === child.len) {
          n = child; // the child's prefix is a prefix of the new range
          continue;
        }
        if (c2 === len) {
          // The new range sits between n and child.
          put = node(w, len, order, Math.min(order, child.min));
          if (bitAt(child.w, len) === 0) put.zero = child;
          else put.one = child;
        } else {
          // They diverge at bit c2: a branching node with both below it.
          put = node(w, c2, Infinity, Math.min(order, child.min));
          const leaf = node(w, len, order, order);
          if (bitAt(w, c2) === 0) [put.zero, put.one] = [leaf, child];
          else [put.zero, put.one] = [child, leaf];
        }
      }
      if (b === 0) n.zero = put;
      else n.one = put;
      return;
    }
  }

  /** The earliest-inserted value whose range overlaps `c`, or undefined. */
  firstOverlapping(c: Pick<Cidr, 'words' | 'prefix128'>): V | undefined {
    const w = c.words;
    const len = c.prefix128;
    let best = Infinity;
    let n: Node | null = this.root;
    while (n !== null) {
      if (n.len >= len) {
        // n agrees with the target on its first `len` bits: the target contains the whole subtree.
        if (n.min < best) best = n.min;
        break;
      }
      if (n.here < best) best = n.here; // n contains the target
      const child: Node | null = bitAt(w, n.len) === 0 ? n.zero : n.one;
      if (child === null) break;
      const lim = Math.min(child.len, len);
      if (common(child.w, w, lim) < lim) break; // diverges: nothing below overlaps
      n = child;
    }
    return best === Infinity ? undefined : this.values[best];
  }

  /** The earliest-inserted value stored with exactly this range, or undefined. */
  exact(c: Pick<Cidr, 'words' | 'prefix128'>): V | undefined {
    let n: Node | null = this.root;
    while (n !== null && n.len < c.prefix128) {
      const child: Node | null = bitAt(c.words, n.len) === 0 ? n.zero : n.one;
      if (child === null || common(child.w, c.words, Math.min(child.len, c.prefix128)) < Math.min(child.len, c.prefix128)) return undefined;
      n = child;
    }
    return n !== null && n.len === c.prefix128 && n.here !== Infinity ? this.values[n.here] : undefined;
  }
}
