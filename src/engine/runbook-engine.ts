/**
 * Runs runbooks: the process-local half of runbook runs (the durable half is
 * `runbook_runs` and the `runbook_step` / `verify` timers).
 *
 * - `incident.opened`  → start the run (startRunbookRun);
 * - `incident.reopened` → verify again from scratch (restartVerification);
 * - reconcile at start (and every `reconcileIntervalMs` with `loop`): runs a
 *   crash between open and run start left missing;
 * - the deferred queue executes claimed steps and verification rounds after
 *   their transaction; stop() aborts running commands (they are recorded as
 *   stopped) and waits for everything in flight.
 */
import type { Logger } from 'pino';
import type { Runbook } from '../domain/runbook.ts';
import type { Deps } from '../service/core/context.ts';
import type { Engine, StartOptions } from './engine.ts';
import { STEP_TIMER, VERIFY_TIMER, type CheckIo, type RunbookRuntime, type StepIo } from '../service/runbooks/runbook-runtime.ts';
import { beginRunbookStep } from '../service/runbooks/begin-runbook-step.ts';
import { onVerifyTimer } from '../service/runbooks/schedule-verification.ts';
import { startRunbookRun } from '../service/runbooks/start-runbook-run.ts';
import { restartVerification } from '../service/runbooks/restart-verification.ts';
import { reconcileRunbookRuns } from '../service/runbooks/reconcile-runbook-runs.ts';

export interface RunbookEngineOptions {
  deps: Deps;
  runbooks: ReadonlyMap<string, Runbook>;
  steps: StepIo;
  checks: CheckIo;
  /** Default 10 s. */
  verifyIntervalMs?: number;
  /** Delay of a new run's action steps; default 5 s. */
  actionGraceMs?: number;
  /** Default 30 s. */
  reconcileIntervalMs?: number;
  /** Asks the scheduler to run due timers now. */
  wake?: () => void;
}

export interface RunbookEngine extends Engine {
  runtime: RunbookRuntime;
  /** Reconciles once; in the background, every reconcile interval too. */
  start(opts?: StartOptions): Promise<void>;
  /** Resolves when no deferred work or bus reaction is in flight (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
  stats(): { in_flight: number; executing: number };
}

export function createRunbookEngine(opts: RunbookEngineOptions): RunbookEngine {
  const { deps } = opts;
  const log: Pick<Logger, 'error'> = deps.logger;
  const inFlight = new Set<Promise<void>>();
  const executing = new Set<string>();
  const abort = new AbortController();
  let stopped = false;
  let loopTimer: NodeJS.Timeout | null = null;

  const track = (what: string, work: () => Promise<unknown>): void => {
    if (stopped) return; // durable state covers it: timers fire, reconcile starts runs, watchdogs close steps
    const p: Promise<void> = Promise.resolve()
      .then(work)
      .then(
        () => undefined,
        (err: unknown) => log.error({ err }, `runbook ${what} failed`),
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const runtime: RunbookRuntime = {
    runbooks: opts.runbooks,
    steps: opts.steps,
    checks: opts.checks,
    verifyIntervalMs: opts.verifyIntervalMs ?? 10_000,
    actionGraceMs: opts.actionGraceMs ?? 5_000,
    defer: (job) => track('job', () => job(abort.signal)),
    isExecuting: (key) => executing.has(key),
    markExecuting: (key, on) => void (on ? executing.add(key) : executing.delete(key)),
    wake: () => opts.wake?.(),
  };

  const unsubscribe = deps.bus.subscribe((e) => {
    if (e.type === 'incident.opened') track('start', () => startRunbookRun(deps, runtime, e.incident.id));
    else if (e.type === 'incident.reopened') track('re-verification', () => restartVerification(deps, runtime, e.incident.id));
  });

  const reconcile = () => track('reconcile', () => reconcileRunbookRuns(deps, runtime));

  return {
    name: 'runbooks',
    runtime,
    handlers: {
      [STEP_TIMER]: (q, t, now) => beginRunbookStep(deps, runtime, q, t, now),
      [VERIFY_TIMER]: (q, t, now) => onVerifyTimer(deps, runtime, q, t, now),
    },
    async start({ background = true }: StartOptions = {}) {
      await reconcileRunbookRuns(deps, runtime);
      if (!background || loopTimer) return;
      const every = opts.reconcileIntervalMs ?? 30_000;
      const tick = () => {
        loopTimer = setTimeout(() => {
          reconcile();
          if (!stopped) tick();
        }, every);
        loopTimer.unref();
      };
      tick();
    },
    async idle() {
      // The bus delivers in a microtask after publish: let it run, then wait until quiet.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      }
    },
    async stop() {
      stopped = true;
      unsubscribe();
      if (loopTimer) clearTimeout(loopTimer);
      abort.abort();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    stats: () => ({ in_flight: inFlight.size, executing: executing.size }),
    health: () => [],
  };
}
