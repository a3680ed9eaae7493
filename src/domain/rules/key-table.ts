/**
 * A rule's windows by key (HeldKey, key-window.ts). IPv4 keys, held as
 * ints, live in an open-addressing table of one Int32Array (linear probing,
 * key and value index side by side); other keys in a Map.
 *
 * Why not a Map for all: an sshd replay looks up a key for every failed
 * login, and most keys come and go (an address seen once, stale ten minutes
 * later: two admissions in three, on the bench's log). A V8 Map lookup walks
 * a bucket array, then an entry chain; a probe here reads one cache line,
 * and a miss usually ends in that line too. Deletion shifts the following
 * entries back (no tombstones), so the table never degrades under churn.
 */

/** Slots at least; a power of two. */
const MIN_SLOTS = 64;

export class KeyTable<V> {
  /** Per slot: the key, then 1 + the index of its value in `vals` (0: an empty slot). */
  private slots = new Int32Array(2 * MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private ints = 0;
  private readonly vals: (V | undefined)[] = [];
  private readonly free: number[] = [];
  private readonly texts = new Map<string, V>();

  get size(): number {
    return this.ints + this.texts.size;
  }

  get(k: number | string): V | undefined {
    if (typeof k === 'string') return this.texts.get(k);
    const s = this.slots;
    for (let i = hash(k) & this.mask; ; i = (i + 1) & this.mask) {
      const v = s[2 * i + 1]!;
      if (v === 0) return undefined;
      if (s[2 * i] === k) return this.vals[v - 1];
    }
  }

  /** Sets the value of `k`, which must not be held (the engine sets a key once, when it admits it). */
  set(k: number | string, value: V): void {
    if (typeof k === 'string') {
      this.texts.set(k, value);
      return;
    }
    if (2 * (this.ints + 1) > this.mask + 1) this.resize(2 * (this.mask + 1));
    const idx = this.free.length > 0 ? this.free.pop()! : this.vals.length;
    this.vals[idx] = value;
    this.place(k, idx + 1);
    this.ints++;
  }

  delete(k: number | string): boolean {
    if (typeof k === 'string') return this.texts.delete(k);
    const s = this.slots;
    const mask = this.mask;
    let i = hash(k) & mask;
    for (; ; i = (i + 1) & mask) {
      const v = s[2 * i + 1]!;
      if (v === 0) return false;
      if (s[2 * i] === k) break;
    }
    const idx = s[2 * i + 1]! - 1;
    this.vals[idx] = undefined;
    this.free.push(idx);
    this.ints--;
    // Backward shift: move each following entry of the run into the hole when its home allows it.
    for (let j = (i + 1) & mask; s[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = hash(s[2 * j]!) & mask;
      // The entry at j may move to i when i lies cyclically in [home, j).
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        s[2 * i] = s[2 * j]!;
        s[2 * i + 1] = s[2 * j + 1]!;
        i = j;
      }
    }
    s[2 * i] = 0;
    s[2 * i + 1] = 0;
    if (this.mask + 1 > MIN_SLOTS && 8 * this.ints < this.mask + 1) this.resize((this.mask + 1) / 2);
    return true;
  }

  private place(k: number, ref: number): void {
    const s = this.slots;
    let i = hash(k) & this.mask;
    while (s[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    s[2 * i] = k;
    s[2 * i + 1] = ref;
  }

  private resize(slots: number): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * slots);
    this.mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.place(old[i]!, old[i + 1]!);
    // Values keep their indexes; trim the free tail so `vals` does not stay at a burst's size.
    while (this.vals.length > 0 && this.vals[this.vals.length - 1] === undefined) this.vals.pop();
    if (this.free.length > 0) {
      const n = this.vals.length;
      let w = 0;
      for (let r = 0; r < this.free.length; r++) if (this.free[r]! < n) this.free[w++] = this.free[r]!;
      this.free.length = w;
    }
  }
}

/** Fibonacci hashing of an int key: the high bits mixed down, so neighbouring addresses spread. */
function hash(k: number): number {
  const h = Math.imul(k, 0x9e3779b1);
  return h ^ (h >>> 16);
}
