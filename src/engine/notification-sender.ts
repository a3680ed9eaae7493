/**
 * In-process queue of claimed notifications waiting to be sent. A claim is
 * made inside the scheduler's transaction; the send must happen after that
 * transaction commits, so the claim is handed here and delivered from a
 * separate task (deliver-notification waits for the claim's commit through
 * its row lock). A claim lost here (crash) is picked up by the lease watchdog.
 *
 * No channel stalls the rest: each channel has its own queue and at most
 * `perChannel` sends in flight, and the whole sender at most `concurrency`.
 * A hanging SMTP server therefore holds only the email channel's slots (each
 * attempt bounded by the channel's own timeout), while webhooks and the next
 * levels' notifications go out at once.
 *
 * A claim that waited in its channel's queue longer than `maxWaitMs` is not
 * started: its lease (NOTIFY_LEASE_MS from the claim) would run out during
 * the send and the watchdog would record "outcome unknown" for a send that
 * did finish. Left alone, the watchdog finds it never started, puts it back
 * to pending and it is claimed again, behind the channel's current work.
 */
import type { Logger } from 'pino';
import { NOTIFY_LEASE_MS } from '../service/escalation/escalation-deps.ts';

export interface NotificationSender {
  /** Queues a claim; `channel` (the notification's channel name) picks its queue. */
  enqueue(notificationId: string, claimId: string, channel?: string): void;
  /** Resolves when nothing is queued or sending (tests). */
  drain(): Promise<void>;
  /** Stops accepting, aborts waits, and waits for sends in flight (each bounded by its channel timeout). */
  stop(): Promise<void>;
  stats(): { queued: number; sending: number; sent: number; errors: number; expired: number };
}

export interface NotificationSenderOptions {
  deliver: (notificationId: string, claimId: string, signal: AbortSignal) => Promise<void>;
  logger: Pick<Logger, 'error' | 'warn'>;
  /** Sends in flight over all channels; default 32. */
  concurrency?: number;
  /** Sends in flight per channel; default 4. */
  perChannel?: number;
  /** A claim queued longer than this is left to the lease watchdog; default half the lease. */
  maxWaitMs?: number;
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number;
}

interface Job {
  id: string;
  claim: string;
  at: number;
}

export function createNotificationSender(opts: NotificationSenderOptions): NotificationSender {
  const limit = opts.concurrency ?? 32;
  const perChannel = opts.perChannel ?? 4;
  const maxWaitMs = opts.maxWaitMs ?? NOTIFY_LEASE_MS / 2;
  const now = opts.now ?? (() => performance.now());
  /** Queues by channel name, in arrival order of their first job (Map order): a fair round robin. */
  const queues = new Map<string, Job[]>();
  const busy = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let stopped = false;
  let queued = 0;
  let idleWaiters: (() => void)[] = [];
  const st = { sent: 0, errors: 0, expired: 0 };

  const settleIdle = () => {
    if (queued === 0 && inFlight.size === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const fn of w) fn();
    }
  };

  function start(channel: string, job: Job): void {
    busy.set(channel, (busy.get(channel) ?? 0) + 1);
    const p: Promise<void> = opts
      .deliver(job.id, job.claim, abort.signal)
      .then(() => void st.sent++)
      .catch((err: unknown) => {
        st.errors++;
        opts.logger.error({ err, notification_id: job.id }, 'notification delivery failed; the lease watchdog will settle it');
      })
      .finally(() => {
        inFlight.delete(p);
        const n = busy.get(channel)! - 1;
        if (n === 0) busy.delete(channel);
        else busy.set(channel, n);
        pump();
        settleIdle();
      });
    inFlight.add(p);
  }

  function pump(): void {
    let progressed = true;
    // Round robin over channels with work and a free slot, one job each per turn.
    while (!stopped && progressed && inFlight.size < limit) {
      progressed = false;
      for (const [channel, q] of queues) {
        if (inFlight.size >= limit) break;
        if ((busy.get(channel) ?? 0) >= perChannel) continue;
        const job = q.shift()!;
        queued--;
        if (q.length === 0) queues.delete(channel);
        progressed = true;
        if (now() - job.at > maxWaitMs) {
          st.expired++;
          opts.logger.warn(
            { notification_id: job.id, channel },
            'notification waited too long behind its channel; the lease watchdog will queue it again',
          );
          continue;
        }
        start(channel, job);
      }
    }
    settleIdle();
  }

  return {
    enqueue(id, claim, channel = '') {
      if (stopped) return;
      let q = queues.get(channel);
      if (!q) queues.set(channel, (q = []));
      q.push({ id, claim, at: now() });
      queued++;
      // Next macrotask: the claiming transaction is about to commit.
      setImmediate(pump);
    },
    drain() {
      if (queued === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      queues.clear();
      queued = 0;
      await Promise.allSettled([...inFlight]);
      abort.abort();
      settleIdle();
    },
    stats: () => ({ queued, sending: inFlight.size, ...st }),
  };
}
