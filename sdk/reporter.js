// Reports auth events to Firebreak (`POST /api/v1/events`) off the request path.
//
// Delivery: events wait in a bounded in-memory queue and leave in batches of
// at most `maxBatch`, every `flushIntervalMs` (sooner when a batch is full).
// A batch that fails on the network, a timeout, 408, 429 or 5xx goes back to
// the front of the queue and the next try waits for `Retry-After` (when the
// server sends one) or an exponential backoff. Other 4xx answers mean the batch
// itself is wrong: it is dropped and counted. When the queue is full the
// *oldest* events are dropped (counted in `dropped`): detection windows are
// minutes long, so fresh events are worth more than stale ones.
import { canonicalIp } from './ip.js';

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

// A server asking for more than this is treated as asking for this: events
// older than the detection windows are worth little, and the queue is bounded.
const MAX_RETRY_AFTER_MS = 600_000;

function positive(v, name) {
  if (typeof v !== 'number' || !(v > 0)) throw new TypeError(`createReporter: ${name} must be a positive number`);
  return v;
}

/** Retry-After (seconds or HTTP date) in ms, or null. */
function retryAfterMs(value, now) {
  if (value === null || value === undefined || value === '') return null;
  if (/^\d+$/.test(value.trim())) return Math.min(MAX_RETRY_AFTER_MS, Number(value.trim()) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

/**
 * Creates an event reporter. No method throws: invalid events are counted
 * as dropped and failures go to `onError`.
 *
 * @param {import('./index.js').ReporterOptions} opts
 * @returns {import('./index.js').Reporter}
 */
export function createReporter(opts) {
  const { url, token } = opts ?? {};
  if (typeof url !== 'string' || url === '') throw new TypeError('createReporter: url is required');
  if (typeof token !== 'string' || token === '') throw new TypeError('createReporter: token is required');
  const flushIntervalMs = positive(opts.flushIntervalMs ?? 1000, 'flushIntervalMs');
  const maxBatch = positive(opts.maxBatch ?? 500, 'maxBatch');
  const maxQueue = positive(opts.maxQueue ?? 10_000, 'maxQueue');
  const timeoutMs = positive(opts.timeoutMs ?? 5000, 'timeoutMs');
  const maxBackoffMs = positive(opts.maxBackoffMs ?? 30_000, 'maxBackoffMs');
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const onError = opts.onError;
  const endpoint = `${url.replace(/\/+$/, '')}/api/v1/events`;

  let queue = [];
  let dropped = 0;
  let sent = 0;
  let failures = 0;
  let retryAt = 0;
  let sending = null;
  let kicked = false;
  let stopped = false;

  function fail(err) {
    try {
      onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      /* ignore */
    }
  }

  function enqueue(ev) {
    if (stopped) {
      dropped++;
      return;
    }
    if (queue.length >= maxQueue) {
      queue.shift();
      dropped++;
    }
    queue.push(ev);
    if (queue.length >= maxBatch && !kicked) {
      kicked = true;
      setImmediate(() => {
        kicked = false;
        tick();
      }).unref();
    }
  }

  /** Validates and normalizes one event; null when it cannot be sent. */
  function normalize(event) {
    if (event === null || typeof event !== 'object' || typeof event.type !== 'string' || event.type === '') return null;
    const ev = { ...event };
    const ts = ev.ts === undefined ? new Date() : new Date(ev.ts);
    if (Number.isNaN(ts.getTime())) return null;
    ev.ts = ts.toISOString();
    if (ev.ip !== undefined) {
      const ip = canonicalIp(ev.ip);
      if (ip === null) return null;
      ev.ip = ip;
    }
    return ev;
  }

  function report(event) {
    try {
      const ev = normalize(event);
      if (ev === null) {
        dropped++;
        return;
      }
      enqueue(ev);
    } catch {
      dropped++;
    }
  }

  function reportLogin(type, e) {
    // Login events without an address are useless to the per-IP rules.
    if (e === null || typeof e !== 'object' || typeof e.ip !== 'string') {
      dropped++;
      return;
    }
    report({ type, ip: e.ip, user_id: e.userId, route: e.route });
  }

  /** Sends one batch now. Resolves true on success or a dropped bad batch, false to retry later. */
  async function sendBatch() {
    const batch = queue.splice(0, maxBatch);
    if (batch.length === 0) return true;
    let res;
    try {
      res = await fetchImpl(endpoint, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => {});
    } catch (err) {
      requeue(batch, null);
      fail(err);
      return false;
    }
    if (res.ok) {
      failures = 0;
      retryAt = 0;
      sent += batch.length;
      return true;
    }
    if (RETRYABLE.has(res.status)) {
      requeue(batch, retryAfterMs(res.headers.get('retry-after'), Date.now()));
      fail(new Error(`event ingest answered HTTP ${res.status}; will retry`));
      return false;
    }
    dropped += batch.length;
    fail(new Error(`event ingest answered HTTP ${res.status}; dropped ${batch.length} events`));
    return true;
  }

  function requeue(batch, waitMs) {
    failures++;
    const backoff = Math.min(maxBackoffMs, 500 * 2 ** Math.min(failures - 1, 16)) * (0.8 + Math.random() * 0.4);
    retryAt = Date.now() + (waitMs ?? backoff);
    // The batch is older than anything queued since; it goes first, and the queue stays bounded.
    const room = maxQueue - queue.length;
    if (room < batch.length) {
      dropped += batch.length - Math.max(0, room);
      batch = batch.slice(batch.length - Math.max(0, room));
    }
    queue = batch.concat(queue);
  }

  /** Sends batches until the queue is empty or a send fails; one drain at a time. */
  function drain(ignoreBackoff) {
    sending = (async () => {
      while (queue.length > 0 && (ignoreBackoff || Date.now() >= retryAt) && (await sendBatch()));
    })()
      .catch(fail)
      .finally(() => {
        sending = null;
      });
    return sending;
  }

  function tick() {
    if (sending !== null || queue.length === 0 || Date.now() < retryAt) return;
    drain(false);
  }

  const timer = setInterval(tick, flushIntervalMs);
  timer.unref();

  return {
    loginFailed(e) {
      reportLogin('auth.login_failed', e);
    },
    loginSucceeded(e) {
      reportLogin('auth.login_succeeded', e);
    },
    report,
    async flush() {
      // Sends what is queued now, ignoring any backoff; stops at the first failure.
      while (sending !== null) await sending;
      await drain(true);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    get dropped() {
      return dropped;
    },
    get pending() {
      return queue.length;
    },
    get sent() {
      return sent;
    },
  };
}
