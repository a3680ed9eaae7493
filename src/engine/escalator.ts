/**
 * Escalation in motion: keeps every incident's escalation in step with its
 * status, and provides the timer handlers that move escalations and deliver
 * notifications (the scheduler runs them). Reports the `channels` health part.
 *
 * How a run starts and stops: the incident verbs publish on the bus after
 * they commit; the subscriber here calls sync-escalation for the incident.
 * A process can die between the commit and the subscriber, so a reconcile
 * pass (at start, then every `reconcileMs`) finds incidents whose escalation
 * is out of step and syncs them too. Syncing is idempotent under the
 * incident's row lock, so the subscriber, the reconcile pass and other
 * processes may all try.
 *
 * Timers (durable, claimed FOR UPDATE SKIP LOCKED by the scheduler):
 *   escalate      ref incident id      one level up (service/escalate-incident)
 *   notify        ref notification id  claim a pending outbox row; the send
 *                                      happens after commit, in the sender
 *   notify_lease  ref notification id  watchdog of a claim that never reported back
 */
import type { Logger } from 'pino';
import type { Bus } from '../service/core/context.ts';
import { ESCALATE_TIMER, NOTIFY_LEASE_TIMER, NOTIFY_TIMER, type EscalationDeps } from '../service/escalation/escalation-deps.ts';
import { syncEscalation, findEscalationsToSync } from '../service/escalation/sync-escalation.ts';
import { escalateIncident } from '../service/escalation/escalate-incident.ts';
import { claimNotificationForDelivery } from '../service/escalation/claim-notification.ts';
import { deliverNotification } from '../service/escalation/deliver-notification.ts';
import { expireNotificationClaim } from '../service/escalation/expire-notification-claim.ts';
import { channelHealth } from '../service/escalation/query-escalation.ts';
import type { Engine, StartOptions, TimerHandler } from './engine.ts';
import { createNotificationSender } from './notification-sender.ts';

export interface Escalator extends Engine {
  /** Subscribes to the bus and starts the reconcile loop. */
  start(opts?: StartOptions): Promise<void>;
  stop(): Promise<void>;
  /** Syncs every incident whose escalation is out of step; returns how many changed. */
  reconcile(): Promise<number>;
  /** Resolves when no sync or send is in progress (tests). */
  idle(): Promise<void>;
  status(): {
    running: boolean;
    syncing: number;
    lastReconcileAt: string | null;
    lastError: string | null;
    sender: ReturnType<ReturnType<typeof createNotificationSender>['stats']>;
  };
}

export function createEscalator(opts: { deps: EscalationDeps; bus: Bus; logger: Logger; reconcileMs?: number }): Escalator {
  const { deps, logger } = opts;
  const reconcileMs = opts.reconcileMs ?? 30_000;
  const sender = createNotificationSender({ deliver: (id, claim, signal) => deliverNotification(deps, id, claim, signal), logger });
  const syncing = new Set<Promise<unknown>>();
  let unsubscribe: (() => void) | null = null;
  let loop: NodeJS.Timeout | null = null;
  let running = false;
  let lastReconcileAt: string | null = null;
  let lastError: string | null = null;

  const track = <T>(p: Promise<T>): Promise<T> => {
    syncing.add(p);
    void p.finally(() => syncing.delete(p)).catch(() => {});
    return p;
  };

  async function sync(incidentId: string): Promise<boolean> {
    try {
      // A new run's level-1 notifications go out at the scheduler's next pass
      // (≤ its interval), not at once: an incident acknowledged right after it
      // opened (an operator filing and taking it) is then not paged at all.
      const outcome = await track(syncEscalation(deps, incidentId));
      return outcome !== 'unchanged';
    } catch (err) {
      lastError = (err as Error).message;
      logger.error({ err, incident_id: incidentId }, 'escalation sync failed; the reconcile pass will retry');
      return false;
    }
  }

  async function reconcile(): Promise<number> {
    let changed = 0;
    try {
      for (const id of await findEscalationsToSync(deps)) if (await sync(id)) changed++;
      lastReconcileAt = deps.clock().toISOString();
    } catch (err) {
      lastError = (err as Error).message;
      logger.warn({ err }, 'escalation reconcile failed');
    }
    return changed;
  }

  const handlers: Record<string, TimerHandler> = {
    // Notify timers this arms are due now: the running scheduler pass claims them next.
    [ESCALATE_TIMER]: (q, t, now) => escalateIncident(deps, q, t, now),
    [NOTIFY_TIMER]: async (q, t, now) => {
      const claim = await claimNotificationForDelivery(q, t.ref, now);
      if (claim) sender.enqueue(claim.notificationId, claim.claimId, claim.channel);
    },
    [NOTIFY_LEASE_TIMER]: (q, t, now) => expireNotificationClaim(deps, q, t, now),
  };

  return {
    name: 'escalator',
    handlers,
    async start({ background = true }: StartOptions = {}) {
      if (running || !background) return;
      running = true;
      unsubscribe = opts.bus.subscribe((e) => {
        if (
          e.type === 'incident.opened' ||
          e.type === 'incident.reopened' ||
          e.type === 'incident.acknowledged' ||
          e.type === 'incident.resolved'
        ) {
          void sync(e.incident.id);
        }
      });
      const tick = () => {
        loop = setTimeout(() => void reconcile().finally(() => running && tick()), reconcileMs);
        loop.unref?.();
      };
      void track(reconcile()).finally(() => running && tick());
    },
    async stop() {
      running = false;
      unsubscribe?.();
      if (loop) clearTimeout(loop);
      await Promise.allSettled([...syncing]);
      await sender.stop();
    },
    reconcile,
    async idle() {
      for (let i = 0; i < 100 && (syncing.size > 0 || sender.stats().queued + sender.stats().sending > 0); i++) {
        await Promise.allSettled([...syncing]);
        await sender.drain();
      }
    },
    status: () => ({ running, syncing: syncing.size, lastReconcileAt, lastError, sender: sender.stats() }),
    health: () => [{ name: 'channels', check: () => channelHealth(deps) }],
  };
}
