// The guard: keeps Firebreak's decisions in memory from the bouncer stream and
// answers check(ip) from memory only, so a request never waits on the network.
//
// Sync state machine (one pull in flight at most):
//   needFull=true  --pull ok-->  needFull=false, healthy   (startup=true: replace the set)
//   needFull=false --pull ok-->  healthy                   (delta: apply deleted, then new)
//   any            --pull fails--> needFull=true, !healthy  (keep enforcing; back off)
// A failed pull may have lost a delta the server already counted as delivered,
// so the first pull after any failure is a full startup=true re-sync.
import { DecisionSet } from './decision-set.js';
import { parseIP, v6Key } from './ip.js';
import { TokenBuckets } from './token-bucket.js';

const ALLOW = Object.freeze({ action: 'allow' });
// Decisions applied between two yields to the event loop: a full set of
// 100,000 takes a few hundred ms to index, which must not stall the app.
const CHUNK = 2000;
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

function positive(v, name) {
  if (typeof v !== 'number' || !(v > 0)) throw new TypeError(`createGuard: ${name} must be a positive number`);
  return v;
}

/**
 * Creates a guard that mirrors Firebreak's decisions (bans, rate limits) for
 * IPs and CIDR ranges and answers `check(ip)` from memory in well under 1 µs.
 *
 * @param {import('./index.js').GuardOptions} opts
 * @returns {import('./index.js').Guard}
 */
export function createGuard(opts) {
  const { url, apiKey } = opts ?? {};
  if (typeof url !== 'string' || url === '') throw new TypeError('createGuard: url is required');
  if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('createGuard: apiKey is required');
  const pollIntervalMs = positive(opts.pollIntervalMs ?? 1000, 'pollIntervalMs');
  const timeoutMs = positive(opts.timeoutMs ?? 2000, 'timeoutMs');
  const maxBackoffMs = positive(opts.maxBackoffMs ?? 10_000, 'maxBackoffMs');
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const clock = opts.now ?? Date.now;
  const onError = opts.onError;
  const unknownType = opts.unknownType ?? 'ban';
  const streamUrl = `${url.replace(/\/+$/, '')}/v1/decisions/stream`;

  let set = new DecisionSet({ unknownType });
  const buckets = new TokenBuckets(opts.rateLimit);
  const scratch = new Int32Array(8);

  let needFull = true;
  let healthy = false;
  let lastSyncAt = null;
  let lastError = null;
  let failures = 0;
  let started = null;
  let generation = 0; // bumped by start/stop so a stale loop never reschedules
  let timer = null;
  let inflight = null;

  function check(ip) {
    if (set.empty || typeof ip !== 'string') return ALLOW;
    const family = parseIP(ip, scratch);
    let rec;
    if (family === 4) rec = set.match4(scratch[0], clock);
    else if (family === 6) rec = set.match6(scratch, clock);
    else return ALLOW;
    if (rec === null) return ALLOW;
    if (rec.ban) return rec.verdict;
    const key = family === 4 ? scratch[0] : v6Key(scratch);
    const wait = buckets.take(key, clock());
    return wait === 0 ? ALLOW : { action: 'rate_limit', decision: rec.decision, retryAfterSec: wait };
  }

  // Applying a stream answer: deletions first, then additions. A startup answer
  // replaces the whole set: it is built aside while the old set keeps
  // answering, then swapped in.
  function prepare(body, startup) {
    if (body === null || typeof body !== 'object') throw new TypeError('stream answer is not an object');
    const deleted = !startup && Array.isArray(body.deleted) ? body.deleted : [];
    const added = Array.isArray(body.new) ? body.new : [];
    const target = startup ? new DecisionSet({ unknownType }) : set;
    return { target, deleted, added, total: deleted.length + added.length, now: clock() };
  }

  function step(job, i) {
    if (i < job.deleted.length) job.target.remove(job.deleted[i]);
    else job.target.add(job.added[i - job.deleted.length], job.now);
  }

  /** Synchronous apply (the `_apply` hook for benchmarks and tests). */
  function apply(body, startup = false) {
    const job = prepare(body, startup);
    for (let i = 0; i < job.total; i++) step(job, i);
    set = job.target;
  }

  /** Same, yielding to the event loop every CHUNK decisions; false when the guard was stopped meanwhile. */
  async function applyChunked(body, startup, gen) {
    const job = prepare(body, startup);
    for (let i = 0; i < job.total; i++) {
      step(job, i);
      if (i % CHUNK === CHUNK - 1 && i + 1 < job.total) {
        await yieldToLoop();
        if (gen !== generation) return false;
      }
    }
    set = job.target;
    return true;
  }

  async function pull(gen) {
    const ctrl = new AbortController();
    inflight = ctrl;
    const t = setTimeout(() => ctrl.abort(new Error(`stream pull timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const full = needFull;
      const res = await fetchImpl(full ? `${streamUrl}?startup=true` : streamUrl, {
        headers: { 'X-Api-Key': apiKey, Accept: 'application/json' },
        signal: ctrl.signal,
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`decision stream answered HTTP ${res.status}`);
      }
      const body = await res.json();
      if (gen !== generation || !(await applyChunked(body, full, gen))) return;
      needFull = false;
      healthy = true;
      failures = 0;
      lastError = null;
      lastSyncAt = clock();
    } catch (err) {
      if (gen !== generation) return;
      needFull = true;
      healthy = false;
      failures++;
      lastError = err instanceof Error ? err : new Error(String(err));
      try {
        onError?.(lastError);
      } catch {
        /* a faulty handler must not stop syncing */
      }
    } finally {
      clearTimeout(t);
      if (inflight === ctrl) inflight = null;
    }
  }

  function nextDelay() {
    if (failures === 0) return pollIntervalMs;
    const base = Math.min(maxBackoffMs, pollIntervalMs * 2 ** Math.min(failures - 1, 20));
    return base * (0.8 + Math.random() * 0.4); // jitter: bouncers must not return in lockstep
  }

  function schedule(gen) {
    if (gen !== generation) return;
    timer = setTimeout(async () => {
      timer = null;
      await pull(gen);
      const now = clock();
      set.sweep(now);
      buckets.prune(now);
      schedule(gen);
    }, nextDelay());
    timer.unref?.();
  }

  return {
    start() {
      if (started === null) {
        const gen = ++generation;
        needFull = true;
        started = pull(gen).then(() => schedule(gen));
      }
      return started;
    },
    stop() {
      generation++;
      started = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      inflight?.abort(new Error('guard stopped'));
    },
    check,
    size() {
      set.sweep(clock());
      return set.size;
    },
    get lastSyncAt() {
      return lastSyncAt;
    },
    get healthy() {
      return healthy;
    },
    get lastError() {
      return lastError;
    },
    _apply: apply,
  };
}
