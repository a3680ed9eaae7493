/**
 * The limits on failed authentications, and the one interface both counting
 * implementations share: in memory for one process (SlidingLimiter), in Redis
 * in cluster mode (src/cluster/redis-failure-counter.ts), so failures spread
 * over several instances are limited as on one. Which one is used is chosen
 * in one place (createFailureLimits, src/cluster/cluster-wiring.ts).
 */
import { SlidingLimiter } from './failure-limiter.ts';

/** Failed dashboard sign-ins per token prefix per window. */
export const LOGIN_MAX_FAILURES = 10;
/** Failed dashboard sign-ins per client address per window. */
export const LOGIN_MAX_FAILURES_PER_ADDRESS = 50;
export const LOGIN_WINDOW_MS = 60_000;
/** Failed bearer authentications per client address per window. */
export const BEARER_MAX_FAILURES = 100;
export const BEARER_WINDOW_MS = 60_000;

/** Counts failures per key in a sliding window. `now` in milliseconds, from the caller's clock. */
export interface FailureCounter {
  readonly limit: number;
  readonly windowMs: number;
  /** Milliseconds until `key` is under its limit again; 0 when it is under it now. */
  blockedForMs(key: string, now: number): Promise<number>;
  /** Records one failure of `key`. */
  record(key: string, now: number): Promise<void>;
}

export interface FailureLimits {
  /** Dashboard sign-ins, per token prefix. */
  signInByPrefix: FailureCounter;
  /** Dashboard sign-ins, per client address. */
  signInByAddress: FailureCounter;
  /** Bearer (and bouncer API key) authentications, per client address. */
  bearer: FailureCounter;
}

/** A FailureCounter of one process. */
export function memoryFailureCounter(limit: number, windowMs: number): FailureCounter {
  const l = new SlidingLimiter({ limit, windowMs });
  return {
    limit,
    windowMs,
    blockedForMs: async (key, now) => l.blockedForMs(key, now),
    record: async (key, now) => l.record(key, now),
  };
}

/** The limits of one process (single-process mode). */
export function memoryFailureLimits(): FailureLimits {
  return {
    signInByPrefix: memoryFailureCounter(LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS),
    signInByAddress: memoryFailureCounter(LOGIN_MAX_FAILURES_PER_ADDRESS, LOGIN_WINDOW_MS),
    bearer: memoryFailureCounter(BEARER_MAX_FAILURES, BEARER_WINDOW_MS),
  };
}
