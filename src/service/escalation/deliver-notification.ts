/**
 * Sends one claimed outbox row: exactly one attempt per claim, in three steps.
 *
 *  1. Transaction: the row must still be `sending` with our claim (the lock
 *     also waits for the claiming transaction to commit), and the incident
 *     still unacknowledged: one acknowledged since the claim is not paged
 *     (the row is cancelled). Sign a fresh ack link, record
 *     `send_started_at`, commit. From here on a crash means "outcome
 *     unknown", which is never retried (expire-notification-claim).
 *  2. Send through the channel (no transaction open).
 *  3. Transaction: record the outcome, if the claim is still ours:
 *
 * | outcome                                   | row      | timeline                         | then                                   |
 * |-------------------------------------------|----------|----------------------------------|----------------------------------------|
 * | ok                                        | sent     | notified                         |                                        |
 * | failed, retryable, attempts left          | pending  | notification_failed "retrying"   | `notify` timer at now + backoff        |
 * | failed otherwise (or unknown channel)     | failed   | notification_failed "giving up"  | leave the level now if nobody at it    |
 * |                                           |          |                                  | can be reached any more                |
 *
 * So a notification is sent at most once per step even with several
 * processes and kill -9, and a failing channel never stalls an escalation.
 */
import { backoffDelay } from '../../notify/deliver.ts';
import { signAckToken, newAckNonce } from '../../notify/ack-link.ts';
import type { DeliveryResult } from '../../notify/channel.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { getNotification, markSendStarted, finishAttempt, closeNotification, type NotificationRow } from '../../store/notification-repo.ts';
import { getEscalation, armTimerNoWait } from '../../store/escalation-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import type { Queryable } from '../../store/db.ts';
import { ACK_LINK_TTL_MS, NOTIFY_TIMER, type EscalationDeps } from './escalation-deps.ts';
import { buildNotification, deliveryData, describeDelivery } from './notification-message.ts';
import { describeWait, leaveLevelIfUnreachable, runFromRow } from './escalation-step.ts';

export async function deliverNotification(
  deps: EscalationDeps,
  notificationId: string,
  claimId: string,
  signal?: AbortSignal,
): Promise<void> {
  const prepared = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const n = await getNotification(q, notificationId, true);
    if (!n || n.status !== 'sending' || n.claim_id !== claimId) return null;
    const incident = await getIncident(q, n.incident_id);
    if (incident && (incident.status !== 'triggered' || incident.reopen_count !== n.epoch)) {
      await closeNotification(q, n.id, 'cancelled', `not sent: the incident was ${incident.status} first`, now);
      return null;
    }
    const channel = deps.channels.get(n.channel);
    if (!incident || !channel) {
      await markSendStarted(q, n.id, null, now);
      return {
        n,
        error: incident ? `no channel is named "${n.channel}" (was it removed from the configuration?)` : 'the incident is gone',
      };
    }
    const nonce = newAckNonce();
    const token = signAckToken(
      { incidentId: incident.id, level: n.level, expiresAtMs: now.getTime() + ACK_LINK_TTL_MS, nonce },
      deps.ackSecret,
    );
    const base = deps.publicUrl();
    const msg = buildNotification(deps.config, incident, n, {
      ackUrl: `${base}/ack/${token}`,
      incidentUrl: `${base}/incidents/${incident.id}`,
    });
    await markSendStarted(q, n.id, nonce, now);
    return { n, channel, msg };
  });
  if (!prepared) return;
  let result: DeliveryResult;
  if ('error' in prepared) {
    result = { ok: false, error: prepared.error, retryable: false };
  } else {
    try {
      result = await prepared.channel.send(prepared.msg, signal);
    } catch (err) {
      // Channels must not throw; one that does is a bug, recorded as a final failure.
      result = {
        ok: false,
        error: `${prepared.n.channel}: channel threw: ${err instanceof Error ? err.message : String(err)}`,
        retryable: false,
      };
    }
  }
  await deps.db.tx(async (q) => {
    const now = deps.clock();
    const incident = await getIncident(q, prepared.n.incident_id, true); // lock order: incident before notification
    const n = await getNotification(q, notificationId, true);
    if (!incident || !n || n.status !== 'sending' || n.claim_id !== claimId) return; // the watchdog decided meanwhile
    await recordOutcome(q, deps, n, result, now);
  });
}

/**
 * Records the outcome of the attempt on row `n` (locked, with its incident
 * locked first). Also used by the lease watchdog for "outcome unknown".
 */
export async function recordOutcome(
  q: Queryable,
  deps: EscalationDeps,
  n: NotificationRow,
  result: DeliveryResult,
  now: Date,
): Promise<void> {
  const who = describeDelivery(n);
  if (result.ok) {
    await finishAttempt(q, n.id, { status: 'sent', ok: true, error: null }, now);
    await appendTimeline(q, {
      incidentId: n.incident_id,
      at: now,
      kind: 'notified',
      actor: 'system',
      message: `${who}: notified (${n.kind.replace('incident.', '')})`,
      data: deliveryData(n),
    });
    return;
  }
  const error = result.error ?? 'failed';
  const max = deps.config.notifications.attempts;
  if (result.retryable && n.attempts < max) {
    const wait = backoffDelay(n.attempts, result, {
      baseDelayMs: deps.config.notifications.retry_base,
      maxDelayMs: deps.config.notifications.retry_max,
      random: Math.random,
    });
    await finishAttempt(q, n.id, { status: 'pending', ok: false, error }, now);
    await armTimerNoWait(q, { kind: NOTIFY_TIMER, ref: n.id, dueAt: new Date(now.getTime() + wait), now });
    await appendTimeline(q, {
      incidentId: n.incident_id,
      at: now,
      kind: 'notification_failed',
      actor: 'system',
      message: `${who}: attempt ${n.attempts} of ${max} failed: ${error}; retrying in ${describeWait(wait)}`,
      data: deliveryData(n, { error, retry_in_ms: wait }),
    });
    return;
  }
  await finishAttempt(q, n.id, { status: 'failed', ok: false, error }, now);
  const row = await getEscalation(q, n.incident_id, true);
  const left =
    row && row.epoch === n.epoch ? await leaveLevelIfUnreachable(q, runFromRow(row), { level: n.level, cycle: n.cycle }, now) : false;
  await appendTimeline(q, {
    incidentId: n.incident_id,
    at: now,
    kind: 'notification_failed',
    actor: 'system',
    message: `${who}: giving up after ${n.attempts} attempt(s): ${error}${left ? `; nobody at level ${n.level} could be reached, escalating now` : ''}`,
    data: deliveryData(n, { error, final: true, escalating_now: left }),
  });
}
