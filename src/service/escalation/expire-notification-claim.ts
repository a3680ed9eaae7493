/**
 * Handler of the `notify_lease` timer (ref = notification id, payload.claim):
 * the watchdog of a claim whose process never reported back (kill -9, crash).
 *
 * | row                                           | action                                          |
 * |-----------------------------------------------|-------------------------------------------------|
 * | not `sending` with this claim                 | nothing (the claim finished normally)           |
 * | `sending`, send never started                 | back to `pending`, `notify` timer now: nothing  |
 * |                                               | left the process, so sending again is safe      |
 * | `sending`, send started                       | `failed`, outcome unknown: NOT retried, so a    |
 * |                                               | notification is never delivered twice           |
 */
import { getIncident } from '../../store/incident-repo.ts';
import { getNotification, closeNotification } from '../../store/notification-repo.ts';
import { armTimerNoWait } from '../../store/escalation-repo.ts';
import type { Queryable } from '../../store/db.ts';
import { NOTIFY_TIMER, type EscalationDeps } from './escalation-deps.ts';
import { recordOutcome } from './deliver-notification.ts';

export async function expireNotificationClaim(
  deps: EscalationDeps,
  q: Queryable,
  timer: { ref: string; payload: Record<string, unknown> },
  now: Date,
): Promise<void> {
  const peek = await getNotification(q, timer.ref);
  if (!peek || peek.status !== 'sending' || peek.claim_id !== timer.payload.claim) return;
  await getIncident(q, peek.incident_id, true); // lock order: incident before notification
  const n = await getNotification(q, timer.ref, true);
  if (!n || n.status !== 'sending' || n.claim_id !== timer.payload.claim) return;
  if (!n.send_started_at) {
    await closeNotification(q, n.id, 'pending', null, now);
    await armTimerNoWait(q, { kind: NOTIFY_TIMER, ref: n.id, dueAt: now, now });
    return;
  }
  await recordOutcome(
    q,
    deps,
    n,
    {
      ok: false,
      retryable: false,
      error: 'outcome unknown: the process stopped while sending; not sent again, so it is never delivered twice',
    },
    now,
  );
}
