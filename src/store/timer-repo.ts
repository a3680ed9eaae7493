/**
 * Durable timers. A timer is claimed by exactly one process: the claim runs
 * `FOR UPDATE SKIP LOCKED` and marks `fired_at` in the same transaction as the
 * handler's writes, so a crash before commit leaves it pending and a second
 * process never sees it twice.
 */
import type { Queryable } from './db.ts';

export interface Timer {
  id: string;
  kind: string;
  ref: string;
  due_at: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

/** Schedules a timer; replaces the pending one of the same kind and ref. */
export async function scheduleTimer(
  q: Queryable,
  t: { kind: string; ref: string; dueAt: Date; payload?: Record<string, unknown>; now: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO timers (kind, ref, due_at, payload, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (kind, ref) WHERE fired_at IS NULL DO UPDATE SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload, attempts = 0, last_error = NULL`,
    [t.kind, t.ref, t.dueAt, JSON.stringify(t.payload ?? {}), t.now],
  );
}

export async function cancelTimer(q: Queryable, kind: string, ref: string): Promise<void> {
  await q.query(`DELETE FROM timers WHERE kind = $1 AND ref = $2 AND fired_at IS NULL`, [kind, ref]);
}

/** Claims one due timer (locks it until the transaction ends), or null. */
export async function claimDueTimer(q: Queryable, now: Date): Promise<Timer | null> {
  const r = await q.query<{ id: number; kind: string; ref: string; due_at: Date; payload: Record<string, unknown>; attempts: number }>(
    `SELECT id, kind, ref, due_at, payload, attempts FROM timers WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [now],
  );
  const t = r.rows[0];
  return t ? { ...t, id: String(t.id) } : null;
}

export async function markTimerFired(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query(`UPDATE timers SET fired_at = $2, attempts = attempts + 1 WHERE id = $1`, [id, at]);
}

/** Records a failed attempt and pushes the timer back. */
export async function deferTimer(q: Queryable, id: string, until: Date, error: string): Promise<void> {
  await q.query(`UPDATE timers SET due_at = $2, attempts = attempts + 1, last_error = $3 WHERE id = $1`, [id, until, error.slice(0, 2000)]);
}

export async function countPendingTimers(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM timers WHERE fired_at IS NULL`);
  return r.rows[0]?.n ?? 0;
}

export async function nextDueAt(q: Queryable): Promise<Date | null> {
  const r = await q.query<{ d: Date | null }>(`SELECT min(due_at) AS d FROM timers WHERE fired_at IS NULL`);
  return r.rows[0]?.d ?? null;
}
