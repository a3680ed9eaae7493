/**
 * The durable timer loop. Each tick claims due timers one at a time with
 * FOR UPDATE SKIP LOCKED and runs the handler for the timer's kind inside the
 * same transaction that marks it fired: a crash before commit leaves the timer
 * pending (it fires after restart), and two processes never fire one twice.
 */
import type { Logger } from 'pino';
import { isTransientDbError, type Db } from '../store/db.ts';
import { claimDueTimer, markTimerFired, deferTimer } from '../store/timer-repo.ts';
import type { Engine, StartOptions, TimerHandler } from './engine.ts';

export interface SchedulerStatus {
  running: boolean;
  lastTickAt: string | null;
  lastError: string | null;
  fired: number;
}

export interface Scheduler extends Engine {
  start(opts?: StartOptions): Promise<void>;
  stop(): Promise<void>;
  /** Runs one pass now (tests, and after writes that create near timers). */
  tick(): Promise<number>;
  status(): SchedulerStatus;
}

export function createScheduler(opts: {
  db: Db;
  clock: () => Date;
  logger: Logger;
  /** Every engine's handlers, by timer kind (timer-kinds.ts `collectHandlers`). */
  handlers: Readonly<Record<string, TimerHandler>>;
  intervalMs?: number;
}): Scheduler {
  const interval = opts.intervalMs ?? 500;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let ticking: Promise<number> | null = null;
  const st: SchedulerStatus = { running: false, lastTickAt: null, lastError: null, fired: 0 };

  async function runOne(): Promise<boolean> {
    return opts.db.tx(async (q) => {
      const now = opts.clock();
      const t = await claimDueTimer(q, now);
      if (!t) return false;
      const handler = opts.handlers[t.kind];
      if (!handler) {
        await deferTimer(q, t.id, new Date(now.getTime() + 3_600_000), `no handler for timer kind ${t.kind}`);
        return true;
      }
      try {
        await q.query('SAVEPOINT timer_handler');
        await handler(q, t, now);
        await q.query('RELEASE SAVEPOINT timer_handler');
        await markTimerFired(q, t.id, now);
        st.fired++;
      } catch (err) {
        // A lost race (deadlock, serialization conflict) is not the handler's fault: give the
        // whole claim back so Db.tx runs it again now, instead of deferring the timer a minute.
        if (isTransientDbError(err)) throw err;
        await q.query('ROLLBACK TO SAVEPOINT timer_handler');
        const backoff = Math.min(60_000 * 2 ** t.attempts, 3_600_000);
        await deferTimer(q, t.id, new Date(now.getTime() + backoff), (err as Error).message);
        opts.logger.error({ err, timer: t.kind, ref: t.ref }, 'timer handler failed; retrying later');
      }
      return true;
    });
  }

  async function pass(): Promise<number> {
    let n = 0;
    try {
      while (n < 1000 && (await runOne())) n++;
      st.lastError = null;
    } catch (err) {
      st.lastError = (err as Error).message;
      opts.logger.warn({ err }, 'scheduler tick failed');
    } finally {
      st.lastTickAt = opts.clock().toISOString();
    }
    return n;
  }

  /**
   * One pass at a time. A call during a pass gets a fresh pass after it (calls
   * made meanwhile share that one): a caller that just moved the clock or wrote
   * a due timer must not be answered by a pass that started before.
   */
  let queued: Promise<number> | null = null;
  function tick(): Promise<number> {
    if (queued) return queued;
    if (ticking) {
      queued = ticking
        .catch(() => 0)
        .then(() => {
          queued = null;
          return tick();
        });
      return queued;
    }
    const p = pass().finally(() => {
      if (ticking === p) ticking = null;
    });
    ticking = p;
    return p;
  }

  function loop(): void {
    if (!running) return;
    timer = setTimeout(() => {
      void tick().finally(loop);
    }, interval);
  }

  return {
    name: 'scheduler',
    // The handlers it runs are the other engines'; it has no timer kind of its own.
    handlers: {},
    async start({ background = true }: StartOptions = {}) {
      if (running || !background) return;
      running = true;
      st.running = true;
      loop();
    },
    async stop() {
      running = false;
      st.running = false;
      if (timer) clearTimeout(timer);
      if (ticking) await ticking.catch(() => {});
    },
    tick,
    status: () => ({ ...st }),
    health: () => [
      {
        name: 'scheduler',
        async check() {
          const s = { ...st };
          const stale = s.running && s.lastTickAt !== null && Date.now() - Date.parse(s.lastTickAt) > 30_000;
          return { status: !s.running || stale || s.lastError ? 'degraded' : 'ok', ...s };
        },
      },
    ],
  };
}
