/**
 * What every long-running part of Firebreak looks like to the start-up code
 * (`src/startup/`): the timer handlers it gives the scheduler, start and stop,
 * and the parts of `/api/health/detailed` it answers for. The engines are
 * started in list order and stopped in reverse (`src/startup/engines.ts`).
 */
import type { Queryable } from '../store/db.ts';
import type { Timer } from '../store/timer-repo.ts';

/**
 * Runs one due timer inside the scheduler's transaction `q`: its writes commit
 * with the timer marked fired. Throwing rolls them back and retries the timer
 * later (with backoff); see `scheduler.ts`.
 */
export type TimerHandler = (q: Queryable, timer: Timer, now: Date) => Promise<void>;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  [k: string]: unknown;
}

/** A named part of `/api/health/detailed` (database, scheduler, sources, probes, channels …). */
export interface HealthPart {
  name: string;
  check(): Promise<HealthReport>;
  /** When true, a `down` status makes the whole answer 503. */
  critical?: boolean;
  /** Cheap, synchronous: why the instance should take no traffic now (`/readyz` 503), or null. */
  notReady?(): string | null;
}

export interface StartOptions {
  /**
   * false (tests): do only the one-time work of a start (recovery, reconcile)
   * and leave loops off; tests drive them by hand (`scheduler.tick()` …).
   */
  background?: boolean;
}

export interface Engine {
  /** For logs and errors (e.g. two engines claiming one timer kind). */
  readonly name: string;
  /** Handlers by timer kind; every kind is listed in `timer-kinds.ts`. */
  readonly handlers: Readonly<Record<string, TimerHandler>>;
  /** Begins background work. Called once, after every engine exists. */
  start(opts?: StartOptions): Promise<void>;
  /** Ends background work and waits for what is in flight. */
  stop(): Promise<void>;
  /** The health parts this engine reports (none is fine). */
  health(): readonly HealthPart[];
}
