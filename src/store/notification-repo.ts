/**
 * The notification outbox. A row is written in the same transaction as the
 * escalation step that decided it, and moves:
 *
 *   pending ──claim──► sending ──result──► sent | failed
 *      ▲                  │ retryable failure
 *      └──────────────────┘
 *   pending ──► cancelled   (the incident was acknowledged or resolved before sending)
 *
 * `claim_id` ties a `sending` row to the one claim that may finish it;
 * `send_started_at` is set (and committed) right before the bytes leave, so a
 * row found `sending` after its lease tells "never sent" from "outcome unknown".
 */
import type { Queryable } from './db.ts';
import { fromDbRow, iso, type DbRow } from './db-row.ts';

export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

export interface NotificationRow {
  id: string;
  incident_id: string;
  epoch: number;
  level: number;
  cycle: number;
  target: string;
  channel: string;
  recipient: string | null;
  kind: string;
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  last_attempt_at: string | null;
  claim_id: string | null;
  send_started_at: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

const NOTIFICATION_IDS = ['id', 'incident_id'] as const;
const NOTIFICATION_TIMES = ['last_attempt_at', 'send_started_at', 'created_at', 'updated_at', 'sent_at'] as const;
type Raw = DbRow<NotificationRow, (typeof NOTIFICATION_IDS)[number], (typeof NOTIFICATION_TIMES)[number]>;
const COLS = `id, incident_id, epoch, level, cycle, target, channel, recipient, kind, status, attempts, last_error, last_attempt_at, claim_id, send_started_at, created_at, updated_at, sent_at`;

function toRow(r: Raw): NotificationRow {
  return fromDbRow<NotificationRow>(r, NOTIFICATION_IDS, NOTIFICATION_TIMES);
}

export interface NewNotification {
  incidentId: string;
  epoch: number;
  level: number;
  cycle: number;
  target: string;
  channel: string;
  recipient: string | null;
  kind: string;
}

/** Inserts the row unless this step already has it (then null): a step is recorded once. */
export async function insertNotification(q: Queryable, n: NewNotification, now: Date): Promise<NotificationRow | null> {
  const r = await q.query<Raw>(
    `INSERT INTO notifications (incident_id, epoch, level, cycle, target, channel, recipient, kind, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)
     ON CONFLICT (incident_id, epoch, level, cycle, target, channel) DO NOTHING RETURNING ${COLS}`,
    [n.incidentId, n.epoch, n.level, n.cycle, n.target, n.channel, n.recipient, n.kind, now],
  );
  return r.rows[0] ? toRow(r.rows[0]) : null;
}

export async function getNotification(q: Queryable, id: string, forUpdate = false): Promise<NotificationRow | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const r = await q.query<Raw>(`SELECT ${COLS} FROM notifications WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toRow(r.rows[0]) : null;
}

export async function findNotificationByNonce(q: Queryable, nonce: string): Promise<NotificationRow | null> {
  const r = await q.query<Raw>(`SELECT ${COLS} FROM notifications WHERE ack_nonce = $1`, [nonce]);
  return r.rows[0] ? toRow(r.rows[0]) : null;
}

export async function listNotifications(q: Queryable, incidentId: string): Promise<NotificationRow[]> {
  const r = await q.query<Raw>(`SELECT ${COLS} FROM notifications WHERE incident_id = $1 ORDER BY id`, [incidentId]);
  return r.rows.map(toRow);
}

/** The rows of one escalation step (for "did every notification of this level fail?"). */
export async function listStepNotifications(
  q: Queryable,
  s: { incidentId: string; epoch: number; level: number; cycle: number },
): Promise<NotificationRow[]> {
  const r = await q.query<Raw>(
    `SELECT ${COLS} FROM notifications WHERE incident_id = $1 AND epoch = $2 AND level = $3 AND cycle = $4 ORDER BY id`,
    [s.incidentId, s.epoch, s.level, s.cycle],
  );
  return r.rows.map(toRow);
}

export async function claimNotification(q: Queryable, id: string, claimId: string, now: Date): Promise<void> {
  await q.query(`UPDATE notifications SET status = 'sending', claim_id = $2, send_started_at = NULL, updated_at = $3 WHERE id = $1`, [
    id,
    claimId,
    now,
  ]);
}

export async function markSendStarted(q: Queryable, id: string, nonce: string | null, now: Date): Promise<void> {
  await q.query(
    `UPDATE notifications SET send_started_at = $2, ack_nonce = coalesce($3, ack_nonce), attempts = attempts + 1, last_attempt_at = $2, updated_at = $2 WHERE id = $1`,
    [id, now, nonce],
  );
}

/** Records the outcome of the attempt that began with markSendStarted. */
export async function finishAttempt(
  q: Queryable,
  id: string,
  r: { status: NotificationStatus; ok: boolean; error: string | null },
  now: Date,
): Promise<void> {
  await q.query(
    `UPDATE notifications SET status = $2, last_attempt_ok = $3, last_error = coalesce($4, last_error), claim_id = NULL,
       sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END, updated_at = $5 WHERE id = $1`,
    [id, r.status, r.ok, r.error === null ? null : r.error.slice(0, 1000), now],
  );
}

/** Closes a row without an attempt (cancelled, or failed before sending: unknown channel, lost claim). */
export async function closeNotification(
  q: Queryable,
  id: string,
  status: 'cancelled' | 'failed' | 'pending',
  error: string | null,
  now: Date,
): Promise<void> {
  await q.query(
    `UPDATE notifications SET status = $2, last_error = coalesce($3, last_error), claim_id = NULL, updated_at = $4 WHERE id = $1`,
    [id, status, error === null ? null : error.slice(0, 1000), now],
  );
}

export interface ChannelStats {
  channel: string;
  sent: number;
  failed: number;
  pending: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_error: string | null;
}

/** Per-channel outcomes of attempts since `since` (for /api/health/detailed). */
export async function channelStats(q: Queryable, since: Date): Promise<ChannelStats[]> {
  const r = await q.query<{ channel: string; sent: number; failed: number; pending: number; ok_at: Date | null; fail_at: Date | null }>(
    `SELECT channel,
       count(*) FILTER (WHERE status = 'sent')::int AS sent,
       count(*) FILTER (WHERE status = 'failed')::int AS failed,
       count(*) FILTER (WHERE status IN ('pending', 'sending'))::int AS pending,
       max(last_attempt_at) FILTER (WHERE last_attempt_ok) AS ok_at,
       max(last_attempt_at) FILTER (WHERE last_attempt_ok = false) AS fail_at
     FROM notifications WHERE updated_at >= $1 GROUP BY channel`,
    [since],
  );
  const errs = await q.query<{ channel: string; last_error: string | null }>(
    `SELECT DISTINCT ON (channel) channel, last_error FROM notifications
     WHERE last_attempt_ok = false AND last_attempt_at >= $1 ORDER BY channel, last_attempt_at DESC`,
    [since],
  );
  const lastError = new Map(errs.rows.map((e) => [e.channel, e.last_error]));
  return r.rows.map((x) => ({
    channel: x.channel,
    sent: x.sent,
    failed: x.failed,
    pending: x.pending,
    last_success_at: iso(x.ok_at),
    last_failure_at: iso(x.fail_at),
    last_error: lastError.get(x.channel) ?? null,
  }));
}
