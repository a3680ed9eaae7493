/**
 * Escalation state per incident (`incident_escalations`) and the timer
 * operations escalation needs that never wait for a row lock.
 *
 * Lock order (see service/escalation/escalation-step.ts): a timer the scheduler claimed,
 * then the incident, then its escalation row, then notification rows. A
 * transaction that holds an incident lock must never WAIT for a timer row:
 * the scheduler may hold that timer while waiting for the same incident. So
 * escalation arms and disarms timers with SKIP LOCKED / ON CONFLICT DO
 * NOTHING here; a timer it could not touch is being fired right now, and its
 * handler re-arms from the escalation row (the invariant below).
 *
 * Invariant: while an escalation runs (not stopped, next_at set) there is a
 * pending `escalate` timer due no later than next_at, or the handler firing
 * the current one will leave one.
 */
import type { Queryable } from './db.ts';

export interface EscalationRow {
  incident_id: string;
  epoch: number;
  policy: unknown;
  /** 1-based. */
  level: number;
  cycle: number;
  next_at: Date | null;
  stopped: boolean;
  started_at: Date;
  updated_at: Date;
}

type Raw = Omit<EscalationRow, 'incident_id'> & { incident_id: number | string };

const toRow = (r: Raw): EscalationRow => ({ ...r, incident_id: String(r.incident_id) });

export async function getEscalation(q: Queryable, incidentId: string, forUpdate = false): Promise<EscalationRow | null> {
  if (!/^\d{1,18}$/.test(incidentId)) return null;
  const r = await q.query<Raw>(`SELECT * FROM incident_escalations WHERE incident_id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [incidentId]);
  return r.rows[0] ? toRow(r.rows[0]) : null;
}

/** Inserts or replaces the escalation of an incident (a new run on re-open). */
export async function putEscalation(q: Queryable, e: Omit<EscalationRow, 'updated_at'>, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO incident_escalations (incident_id, epoch, policy, level, cycle, next_at, stopped, started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (incident_id) DO UPDATE SET epoch = EXCLUDED.epoch, policy = EXCLUDED.policy, level = EXCLUDED.level, cycle = EXCLUDED.cycle,
       next_at = EXCLUDED.next_at, stopped = EXCLUDED.stopped, started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at`,
    [e.incident_id, e.epoch, JSON.stringify(e.policy), e.level, e.cycle, e.next_at, e.stopped, e.started_at, now],
  );
}

export async function updateEscalationState(
  q: Queryable,
  incidentId: string,
  s: { level: number; cycle: number; next_at: Date | null; stopped: boolean },
  now: Date,
): Promise<void> {
  await q.query(
    `UPDATE incident_escalations SET level = $2, cycle = $3, next_at = $4, stopped = $5, updated_at = $6 WHERE incident_id = $1`,
    [incidentId, s.level, s.cycle, s.next_at, s.stopped, now],
  );
}

/**
 * Incidents whose escalation is out of step with their status: triggered
 * without a run for the current reopen_count (a start was lost, e.g. the
 * process died right after the incident committed), or no longer triggered
 * with a run still going (a stop was lost).
 */
export async function findEscalationsOutOfStep(q: Queryable, limit: number): Promise<string[]> {
  const r = await q.query<{ id: number | string }>(
    `SELECT i.id FROM incidents i LEFT JOIN incident_escalations e ON e.incident_id = i.id
     WHERE (i.status = 'triggered' AND (e.incident_id IS NULL OR e.epoch < i.reopen_count))
        OR (i.status <> 'triggered' AND e.stopped = false)
     ORDER BY i.id LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => String(x.id));
}

/**
 * Points the pending timer (kind, ref) at `dueAt`, or creates it, without
 * waiting for locks. Returns false when a timer of that kind and ref is being
 * fired by another transaction right now (its handler takes over).
 */
export async function armTimerNoWait(
  q: Queryable,
  t: { kind: string; ref: string; dueAt: Date; payload?: Record<string, unknown>; now: Date },
): Promise<boolean> {
  const payload = JSON.stringify(t.payload ?? {});
  const upd = await q.query(
    `UPDATE timers SET due_at = $3, payload = $4, attempts = 0, last_error = NULL
     WHERE id = (SELECT id FROM timers WHERE kind = $1 AND ref = $2 AND fired_at IS NULL FOR UPDATE SKIP LOCKED) RETURNING id`,
    [t.kind, t.ref, t.dueAt, payload],
  );
  if (upd.rows.length > 0) return true;
  const ins = await q.query(
    `INSERT INTO timers (kind, ref, due_at, payload, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (kind, ref) WHERE fired_at IS NULL DO NOTHING RETURNING id`,
    [t.kind, t.ref, t.dueAt, payload, t.now],
  );
  return ins.rows.length > 0;
}

/** Deletes the pending timer (kind, ref) unless another transaction is firing it (then its handler sees the new state). */
export async function disarmTimerNoWait(q: Queryable, kind: string, ref: string): Promise<void> {
  await q.query(
    `DELETE FROM timers WHERE id IN (SELECT id FROM timers WHERE kind = $1 AND ref = $2 AND fired_at IS NULL FOR UPDATE SKIP LOCKED)`,
    [kind, ref],
  );
}

/** Marks the timer being handled as fired now, so the handler may schedule the next one of the same kind and ref. */
export async function retireTimer(q: Queryable, timerId: string, now: Date): Promise<void> {
  await q.query(`UPDATE timers SET fired_at = $2 WHERE id = $1 AND fired_at IS NULL`, [timerId, now]);
}
