/**
 * In-process queue of claimed notifications waiting to be sent. A claim is
 * made inside the scheduler's transaction; the send must happen after that
 * transaction commits, so the claim is handed here and delivered from a
 * separate task (deliver-notification waits for the claim's commit through
 * its row lock). A claim lost here (crash) is picked up by the lease watchdog.
 */
import type { Logger } from 'pino';

export interface NotificationSender {
  enqueue(notificationId: string, claimId: string): void;
  /** Resolves when nothing is queued or sending (tests). */
  drain(): Promise<void>;
  /** Stops accepting, aborts waits, and waits for sends in flight (each bounded by its channel timeout). */
  stop(): Promise<void>;
  stats(): { queued: number; sending: number; sent: number; errors: number };
}

export function createNotificationSender(opts: {
  deliver: (notificationId: string, claimId: string, signal: AbortSignal) => Promise<void>;
  logger: Pick<Logger, 'error'>;
  concurrency?: number;
}): NotificationSender {
  const limit = opts.concurrency ?? 8;
  const queue: { id: string; claim: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  const st = { sent: 0, errors: 0 };

  const settleIdle = () => {
    if (queue.length === 0 && inFlight.size === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const fn of w) fn();
    }
  };

  function pump(): void {
    while (!stopped && inFlight.size < limit && queue.length > 0) {
      const job = queue.shift()!;
      const p: Promise<void> = opts
        .deliver(job.id, job.claim, abort.signal)
        .then(() => void st.sent++)
        .catch((err: unknown) => {
          st.errors++;
          opts.logger.error({ err, notification_id: job.id }, 'notification delivery failed; the lease watchdog will settle it');
        })
        .finally(() => {
          inFlight.delete(p);
          pump();
          settleIdle();
        });
      inFlight.add(p);
    }
  }

  return {
    enqueue(id, claim) {
      if (stopped) return;
      queue.push({ id, claim });
      // Next macrotask: the claiming transaction is about to commit.
      setImmediate(pump);
    },
    drain() {
      if (queue.length === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      queue.length = 0;
      await Promise.allSettled([...inFlight]);
      abort.abort();
      settleIdle();
    },
    stats: () => ({ queued: queue.length, sending: inFlight.size, ...st }),
  };
}
