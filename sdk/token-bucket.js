// Token buckets per client address for `rate_limit` decisions. A bucket holds
// up to `burst` tokens and refills at `ratePerSec`; a request takes one token.
// Buckets exist only for addresses under a rate_limit decision and are pruned
// once full again (an idle bucket carries no information). Their number is
// capped: a client rotating through the addresses of a rate-limited range (an
// IPv6 /48 holds 2^80) must not grow memory without bound, so at the cap a new
// address gets no fresh burst and is limited at once (it is under a rate_limit
// decision anyway).

export class TokenBuckets {
  /** @param {{ ratePerSec?: number, burst?: number }} [opts] */
  constructor(opts = {}) {
    this.rate = opts.ratePerSec ?? 10;
    this.burst = opts.burst ?? 20;
    if (!(this.rate > 0) || !(this.burst >= 1)) {
      throw new TypeError('rateLimit: ratePerSec must be > 0 and burst >= 1');
    }
    this.maxBuckets = opts.maxBuckets ?? 100_000;
    this.buckets = new Map();
    this.prunedAt = 0;
  }

  get size() {
    return this.buckets.size;
  }

  /**
   * Takes one token for `key` at `now` (ms). Returns 0 when the request is
   * within the bucket, else the whole seconds until a token is available (>= 1).
   */
  take(key, now) {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxBuckets) {
        if (now - this.prunedAt >= 1000) this.prune(now);
        if (this.buckets.size >= this.maxBuckets) return Math.max(1, Math.ceil(1 / this.rate));
      }
      b = { tokens: this.burst, last: now };
      this.buckets.set(key, b);
    } else if (now > b.last) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) * this.rate) / 1000);
      b.last = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }

  /** Forgets buckets that have refilled completely by `now`. */
  prune(now) {
    this.prunedAt = now;
    const fullAfterMs = (this.burst / this.rate) * 1000;
    for (const [key, b] of this.buckets) {
      if (now - b.last >= fullAfterMs) this.buckets.delete(key);
    }
  }
}
