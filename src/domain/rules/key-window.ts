/**
 * The sliding window of one rule for one key: a ring buffer of event
 * timestamps (integer microseconds), plus, depending on the rule's value,
 * the numeric sample of each event (percentile) or its field value with a
 * multiset of values (distinct). Used only by the RuleEngine.
 *
 * Invariants:
 * - entries are sorted by timestamp from head to tail (an out-of-order event
 *   is inserted at its place, which is rare and costs a shift);
 * - `newest` is the largest timestamp held, -Infinity when empty;
 * - `counts` maps each value held (HeldKey) to its multiplicity, so
 *   `counts.size` is the distinct count;
 * - `low` is the number of samples on the "not above threshold" side
 *   (`v <= T` for op gt, `v < T` for op gte), so a percentile threshold test
 *   costs O(1): p-th percentile above T  ⇔  low < ceil(p/100 · n);
 * - `quietUntil`: events with a timestamp below it are ignored (cooldown).
 */
import { canonicalV4At } from '../ip.ts';
import { v4Text } from '../ip-parse.ts';
import type { KeyList } from './key-list.ts';

/** Entries carry only their timestamp (counting). */
export const KIND_COUNT = 0;
/** Entries carry a field value (distinct counting). */
export const KIND_DISTINCT = 1;
/** Entries carry a numeric sample (percentile). */
export const KIND_PERCENTILE = 2;
/** One of the KIND_* constants. */
export type WindowKind = typeof KIND_COUNT | typeof KIND_DISTINCT | typeof KIND_PERCENTILE;

const INITIAL_CAPACITY = 4; // a power of two; most keys see few events

/**
 * A copy of `s` that does not keep alive the string it was sliced from.
 * Parsers hand out slices of multi-megabyte read chunks; a key or value held
 * for a window would otherwise pin its whole chunk. V8 flattens the
 * concatenation into a new string, and the slice points into that one.
 */
export function detach(s: string): string {
  // V8 copies substrings shorter than 13 characters anyway (no SlicedString).
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/**
 * A key or a distinct value as the engine holds it: an IPv4 address written
 * canonically is held as its 32 bits (an int: hashed in one step, and it
 * pins no read chunk, so it needs no `detach` copy); other text as text.
 * Addresses are most keys and values, and the text ↔ int mapping is one to
 * one, so counting is the same as on the text.
 */
export type HeldKey = string | number;

/**
 * The last text lookupKey made an int of, and the int: one event's address is looked up by several
 * rules. (It may keep one read chunk alive until the next address: one, bounded.)
 */
let lastText = '';
let lastInt = 0;

/** `s` as looked up: its int for canonical IPv4 text, else `s` itself (not yet detached). */
export function lookupKey(s: string): HeldKey {
  if (s === lastText) return lastInt;
  const v = canonicalV4At(s, 0, s.length);
  if (v < 0) return s;
  lastText = s;
  lastInt = v | 0;
  return lastInt;
}

/** A looked-up key made fit to keep: text is detached. */
export function ownKey(k: HeldKey): HeldKey {
  return typeof k === 'number' ? k : detach(k);
}

/** The text of a held key. */
export function keyText(k: HeldKey): string {
  return typeof k === 'number' ? v4Text(k >>> 0) : k;
}

/** The window of one key; fields are public for the engine's hot path, see the invariants above. */
export class KeyWindow {
  ts: Float64Array;
  vals: Float64Array | null;
  strs: (HeldKey | undefined)[] | null;
  counts: Map<HeldKey, number> | null;
  head = 0;
  len = 0;
  mask: number;
  newest = -Infinity;
  quietUntil = -Infinity;
  low = 0;
  /** The key this window belongs to (the engine's map key), and its place in the engine's recency lists (key-list.ts). */
  key: HeldKey = '';
  list: KeyList | null = null;
  prev: KeyWindow | null = null;
  next: KeyWindow | null = null;

  constructor(kind: WindowKind) {
    this.ts = new Float64Array(INITIAL_CAPACITY);
    this.mask = INITIAL_CAPACITY - 1;
    this.vals = kind === KIND_PERCENTILE ? new Float64Array(INITIAL_CAPACITY) : null;
    this.strs = kind === KIND_DISTINCT ? new Array<HeldKey | undefined>(INITIAL_CAPACITY).fill(undefined) : null;
    this.counts = kind === KIND_DISTINCT ? new Map() : null;
  }

  /** Drops entries with timestamp <= cutoff (they are outside `(t - window, t]`). */
  evict(cutoff: number, limit: number, gt: boolean): void {
    const ts = this.ts;
    const mask = this.mask;
    while (this.len > 0 && ts[this.head]! <= cutoff) {
      const i = this.head;
      if (this.vals !== null) {
        const v = this.vals[i]!;
        if (gt ? v <= limit : v < limit) this.low--;
      } else if (this.strs !== null) {
        const s = this.strs[i]!;
        this.strs[i] = undefined;
        const c = this.counts!.get(s)!;
        if (c === 1) this.counts!.delete(s);
        else this.counts!.set(s, c - 1);
      }
      this.head = (i + 1) & mask;
      this.len--;
    }
    if (this.len === 0) this.newest = -Infinity;
  }

  /** Adds one event; `sample` is used by percentile windows, `value` by distinct ones. */
  push(t: number, sample: number, value: string | undefined, limit: number, gt: boolean): void {
    if (this.len > this.mask) this.grow();
    const mask = this.mask;
    let at = (this.head + this.len) & mask;
    if (t < this.newest) {
      // Out of order: shift later entries one slot towards the tail.
      let prev = (at - 1) & mask;
      for (let k = this.len; k > 0 && this.ts[prev]! > t; k--) {
        this.ts[at] = this.ts[prev]!;
        if (this.vals !== null) this.vals[at] = this.vals[prev]!;
        if (this.strs !== null) this.strs[at] = this.strs[prev];
        at = prev;
        prev = (prev - 1) & mask;
      }
    } else this.newest = t;
    this.ts[at] = t;
    if (this.vals !== null) {
      this.vals[at] = sample;
      if (gt ? sample <= limit : sample < limit) this.low++;
    } else if (this.strs !== null) {
      const v = ownKey(lookupKey(value!));
      this.strs[at] = v;
      this.counts!.set(v, (this.counts!.get(v) ?? 0) + 1);
    }
    this.len++;
  }

  /** The `rank`-th smallest sample held (1-based). Allocates; called only when a rule fires. */
  nthSample(rank: number): number {
    const out = new Float64Array(this.len);
    for (let k = 0; k < this.len; k++) out[k] = this.vals![(this.head + k) & this.mask]!;
    out.sort();
    return out[Math.min(Math.max(rank, 1), this.len) - 1]!;
  }

  /** True when the ring is still small enough to be worth reusing for another key. */
  get reusable(): boolean {
    return this.mask < 64;
  }

  /** Makes the window as new, for reuse by another key (keeps its buffers). */
  reset(): void {
    this.clear();
    this.quietUntil = -Infinity;
  }

  /** Empties the window (after a firing: counting starts again from empty). */
  clear(): void {
    this.head = 0;
    this.len = 0;
    this.low = 0;
    this.newest = -Infinity;
    if (this.strs !== null) this.strs.fill(undefined);
    if (this.counts !== null) this.counts.clear();
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const ts = new Float64Array(cap);
    const vals = this.vals !== null ? new Float64Array(cap) : null;
    const strs = this.strs !== null ? new Array<HeldKey | undefined>(cap).fill(undefined) : null;
    for (let k = 0; k < this.len; k++) {
      const i = (this.head + k) & this.mask;
      ts[k] = this.ts[i]!;
      if (vals !== null) vals[k] = this.vals![i]!;
      if (strs !== null) strs[k] = this.strs![i];
    }
    this.ts = ts;
    this.vals = vals;
    this.strs = strs;
    this.head = 0;
    this.mask = cap - 1;
  }
}
