/**
 * Counts events per key in a sliding window and says when a key is over its
 * limit: failed sign-ins per address or per token prefix, failed bearer
 * authentications per address, automated bans per source. Pure: the caller
 * passes `now` (milliseconds).
 *
 * Memory is bounded: at most `maxKeys` keys are tracked (when full, keys whose
 * events all left the window are dropped first, then the oldest keys), and a
 * key keeps at most `limit` timestamps (enough to answer "over the limit?" and
 * "when does the oldest leave the window?").
 */
export interface SlidingLimiterOptions {
  limit: number;
  windowMs: number;
  maxKeys?: number;
}

export class SlidingLimiter {
  private readonly hits = new Map<string, number[]>();
  readonly limit: number;
  readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(o: SlidingLimiterOptions) {
    this.limit = o.limit;
    this.windowMs = o.windowMs;
    this.maxKeys = o.maxKeys ?? 10_000;
  }

  private recent(key: string, now: number): number[] {
    const list = this.hits.get(key);
    if (!list) return [];
    let i = 0;
    while (i < list.length && list[i]! <= now - this.windowMs) i++;
    if (i > 0) list.splice(0, i);
    if (list.length === 0) this.hits.delete(key);
    return list;
  }

  /** Milliseconds until `key` is under its limit again; 0 when it is under it now. */
  blockedForMs(key: string, now: number): number {
    const list = this.recent(key, now);
    return list.length >= this.limit ? Math.max(1, list[list.length - this.limit]! + this.windowMs - now) : 0;
  }

  /** Records one event for `key`. */
  record(key: string, now: number): void {
    let list = this.hits.get(key);
    if (!list) {
      if (this.hits.size >= this.maxKeys) this.evict(now);
      list = [];
      this.hits.set(key, list);
    } else this.recent(key, now);
    list.push(now);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    if (!this.hits.has(key)) this.hits.set(key, list);
  }

  /** Events of `key` still inside the window. */
  count(key: string, now: number): number {
    return this.recent(key, now).length;
  }

  get size(): number {
    return this.hits.size;
  }

  private evict(now: number): void {
    for (const [k, v] of this.hits) if (v.length === 0 || v[v.length - 1]! <= now - this.windowMs) this.hits.delete(k);
    // Still full: the keys inserted first go (Map order), a tenth at a time.
    if (this.hits.size >= this.maxKeys) {
      let drop = Math.max(1, Math.floor(this.maxKeys / 10));
      for (const k of this.hits.keys()) {
        if (drop-- <= 0) break;
        this.hits.delete(k);
      }
    }
  }
}
