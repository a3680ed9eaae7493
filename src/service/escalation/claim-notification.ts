/**
 * Handler of the `notify` timer (ref = notification id), inside the
 * scheduler's transaction: claims a pending outbox row for delivery. The
 * bytes are sent by deliver-notification.ts AFTER this transaction commits
 * (a send inside it would hold the database for the whole network call and
 * be repeated whenever the transaction did not commit).
 *
 * | row / incident                                        | result                         |
 * |-------------------------------------------------------|--------------------------------|
 * | row not pending (sent, failed, cancelled, sending)    | nothing (a replayed timer)     |
 * | incident no longer triggered, or re-opened since      | row cancelled, nothing sent    |
 * | otherwise                                             | row `sending` with a claim id; |
 * |                                                       | a lease timer as a watchdog    |
 */
import { randomBytes } from 'node:crypto';
import { getIncident } from '../../store/incident-repo.ts';
import { getNotification, claimNotification, closeNotification } from '../../store/notification-repo.ts';
import { armTimerNoWait } from '../../store/escalation-repo.ts';
import type { Queryable } from '../../store/db.ts';
import { NOTIFY_LEASE_MS, NOTIFY_LEASE_TIMER } from './escalation-deps.ts';

export interface NotificationClaim {
  notificationId: string;
  claimId: string;
  /** The channel it goes through: the sender queues per channel. */
  channel: string;
}

export async function claimNotificationForDelivery(q: Queryable, notificationId: string, now: Date): Promise<NotificationClaim | null> {
  const n = await getNotification(q, notificationId, true);
  if (!n || n.status !== 'pending') return null;
  const incident = await getIncident(q, n.incident_id);
  if (!incident || incident.status !== 'triggered' || incident.reopen_count !== n.epoch) {
    await closeNotification(q, n.id, 'cancelled', `not sent: the incident was ${incident?.status ?? 'deleted'} first`, now);
    return null;
  }
  const claimId = randomBytes(9).toString('base64url');
  await claimNotification(q, n.id, claimId, now);
  await armTimerNoWait(q, {
    kind: NOTIFY_LEASE_TIMER,
    ref: n.id,
    dueAt: new Date(now.getTime() + NOTIFY_LEASE_MS),
    payload: { claim: claimId },
    now,
  });
  return { notificationId: n.id, claimId, channel: n.channel };
}
