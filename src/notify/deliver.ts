/**
 * Delivery with retries: exponential backoff with jitter, stopping at the
 * first success, the first non-retryable failure, the attempt limit, or an
 * abort. In-process only: a retry that must survive a restart belongs to the
 * durable timers of engine/escalator.ts, which call this again.
 *
 * Delay before attempt k+1 (k = 1, 2, ...):
 *   d = min(maxDelayMs, baseDelayMs * 2^(k-1))
 *   wait = d/2 + random * d/2              ("equal jitter": never less than d/2)
 *   wait = max(wait, retryAfterMs) capped at maxDelayMs, when the peer sent Retry-After
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Channel, DeliveryResult, Notification } from './channel.ts';

export interface DeliverOptions {
  /** Total attempts including the first; default 5. */
  attempts?: number;
  /** Default 500 ms. */
  baseDelayMs?: number;
  /** Default 30 s. */
  maxDelayMs?: number;
  /** Waits `ms`; default a timer that rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Random number in [0, 1); default Math.random. */
  random?: () => number;
  /** Called after every attempt (1-based), e.g. to write a timeline entry. */
  onAttempt?: (attempt: number, result: DeliveryResult) => void;
  /** Stops retrying (and is passed to the channel). */
  signal?: AbortSignal;
}

export interface DeliveryReport {
  /** The last attempt succeeded. */
  ok: boolean;
  /** Every attempt's result, in order; never empty. */
  attempts: DeliveryResult[];
}

/** The wait before the attempt after `attempt` (1-based) failed with `result`. */
export function backoffDelay(
  attempt: number,
  result: DeliveryResult,
  opts: Required<Pick<DeliverOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>>,
): number {
  const d = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  let wait = d / 2 + opts.random() * (d / 2);
  if (result.retryAfterMs !== undefined) wait = Math.max(wait, result.retryAfterMs);
  return Math.round(Math.min(wait, opts.maxDelayMs));
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => sleepTimer(ms, undefined, { signal });

/**
 * Sends `msg` through `channel`, retrying retryable failures. Delivery
 * failures never throw: a channel that throws (a bug; channels must return
 * results) is recorded as a non-retryable failed attempt. An abort ends the
 * loop with the attempts made so far.
 */
export async function deliverWithRetry(channel: Channel, msg: Notification, opts: DeliverOptions = {}): Promise<DeliveryReport> {
  const attempts = Math.max(1, Math.floor(opts.attempts ?? 5));
  const timing = { baseDelayMs: opts.baseDelayMs ?? 500, maxDelayMs: opts.maxDelayMs ?? 30_000, random: opts.random ?? Math.random };
  const sleep = opts.sleep ?? defaultSleep;
  const results: DeliveryResult[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let result: DeliveryResult;
    try {
      result = await channel.send(msg, opts.signal);
    } catch (err) {
      result = {
        ok: false,
        error: `${channel.name}: channel threw: ${err instanceof Error ? err.message : String(err)}`,
        retryable: false,
      };
    }
    results.push(result);
    opts.onAttempt?.(attempt, result);
    if (result.ok || !result.retryable || attempt === attempts || opts.signal?.aborted) break;
    try {
      await sleep(backoffDelay(attempt, result, timing), opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) break; // aborted while waiting
      throw err;
    }
  }
  return { ok: results.at(-1)!.ok, attempts: results };
}
