/**
 * Action runs: one row per action id. The row is the idempotency record (a
 * second run with the same id reads it instead of acting) and the state of
 * the retries.
 *
 *   running  → succeeded | skipped | failed   (final)
 *   running  → retrying  → running …          (retryable failure, attempts left)
 */
import type { Queryable } from './db.ts';
import { fromDbRow, type DbRow } from './db-row.ts';

export type ActionRunStatus = 'running' | 'retrying' | 'succeeded' | 'skipped' | 'failed';
export const FINAL_RUN_STATUSES: readonly ActionRunStatus[] = ['succeeded', 'skipped', 'failed'];

export interface ActionRun {
  id: string;
  incident_id: string;
  step: string;
  action: string;
  /** `ip:<addr>`, `range:<cidr>`, `user:<id>`, `global`, `notify:<target>`, `webhook:<host>`. */
  target: string;
  params: Record<string, unknown>;
  reopen_count: number;
  status: ActionRunStatus;
  /** `succeeded`, `failed`, `allowlisted`, `skipped`; null while the first attempt runs. */
  outcome: string | null;
  attempts: number;
  max_attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  result: Record<string, unknown> | null;
  decision_id: string | null;
  requested_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

const RUN_IDS = ['incident_id', 'decision_id'] as const;
const RUN_TIMES = ['created_at', 'updated_at', 'finished_at', 'next_attempt_at'] as const;
type Row = DbRow<ActionRun, (typeof RUN_IDS)[number], (typeof RUN_TIMES)[number]>;

function toRun({ seq: _seq, ...r }: Row & { seq?: unknown }): ActionRun {
  return fromDbRow<ActionRun>(r, RUN_IDS, RUN_TIMES);
}

export interface NewActionRun {
  id: string;
  incident_id: string;
  step: string;
  action: string;
  target: string;
  params: Record<string, unknown>;
  reopen_count: number;
  max_attempts: number;
  requested_by: string;
  now: Date;
}

/** Inserts the run with its first attempt started (`running`, attempts 1); null when the id exists. */
export async function insertActionRun(q: Queryable, n: NewActionRun): Promise<ActionRun | null> {
  const r = await q.query<Row>(
    `INSERT INTO action_runs (id, incident_id, step, action, target, params, reopen_count, status, attempts, max_attempts, requested_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', 1, $8, $9, $10, $10)
     ON CONFLICT (id) DO NOTHING RETURNING *`,
    [n.id, n.incident_id, n.step, n.action, n.target, JSON.stringify(n.params), n.reopen_count, n.max_attempts, n.requested_by, n.now],
  );
  return r.rows[0] ? toRun(r.rows[0]) : null;
}

export async function getActionRun(q: Queryable, id: string, forUpdate = false): Promise<ActionRun | null> {
  const r = await q.query<Row>(`SELECT * FROM action_runs WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toRun(r.rows[0]) : null;
}

export async function listActionRuns(q: Queryable, incidentId: string): Promise<ActionRun[]> {
  const r = await q.query<Row>(`SELECT * FROM action_runs WHERE incident_id = $1 ORDER BY seq`, [incidentId]);
  return r.rows.map(toRun);
}

/** Marks attempt `attempt` as started. */
export async function startAttempt(q: Queryable, id: string, attempt: number, now: Date): Promise<ActionRun> {
  const r = await q.query<Row>(
    `UPDATE action_runs SET status = 'running', attempts = $2, next_attempt_at = NULL, updated_at = $3 WHERE id = $1 RETURNING *`,
    [id, attempt, now],
  );
  return toRun(r.rows[0]!);
}

export interface AttemptResult {
  status: ActionRunStatus;
  outcome: string;
  next_attempt_at: Date | null;
  last_error: string | null;
  result: Record<string, unknown> | null;
  now: Date;
}

export async function recordAttempt(q: Queryable, id: string, a: AttemptResult): Promise<ActionRun> {
  const final = FINAL_RUN_STATUSES.includes(a.status);
  const r = await q.query<Row>(
    `UPDATE action_runs SET status = $2, outcome = $3, next_attempt_at = $4, last_error = $5, result = COALESCE($6::jsonb, result), updated_at = $7,
       finished_at = CASE WHEN $8 THEN $7 ELSE finished_at END
     WHERE id = $1 RETURNING *`,
    [
      id,
      a.status,
      a.outcome,
      a.next_attempt_at,
      a.last_error?.slice(0, 2000) ?? null,
      a.result === null ? null : JSON.stringify(a.result),
      a.now,
      final,
    ],
  );
  return toRun(r.rows[0]!);
}

/** Remembers the decision an action made, so a retry reuses it instead of making another. */
export async function setRunDecision(q: Queryable, id: string, decisionId: string): Promise<void> {
  await q.query(`UPDATE action_runs SET decision_id = $2 WHERE id = $1`, [id, decisionId]);
}

/** Succeeded runs of `action` on `target` since `since`, other than `exceptId` (repeat offenders). */
export async function countSucceededRuns(q: Queryable, action: string, target: string, since: Date, exceptId: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM action_runs WHERE status = 'succeeded' AND action = $1 AND target = $2 AND created_at > $3 AND id <> $4`,
    [action, target, since, exceptId],
  );
  return r.rows[0]?.n ?? 0;
}

/** Succeeded runs of `action` per target since `since` (repeat offenders, batched), by target. */
export async function countSucceededRunsMany(
  q: Queryable,
  action: string,
  targets: readonly string[],
  since: Date,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (targets.length === 0) return out;
  const r = await q.query<{ target: string; n: number }>(
    `SELECT target, count(*)::int AS n FROM action_runs WHERE status = 'succeeded' AND action = $1 AND target = ANY($2::text[]) AND created_at > $3 GROUP BY target`,
    [action, targets, since],
  );
  for (const row of r.rows) out.set(row.target, row.n);
  return out;
}

/** Which of these run ids exist (batched detections: a re-handled detection finds its runs). */
export async function existingRunIds(q: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const r = await q.query<{ id: string }>(`SELECT id FROM action_runs WHERE id = ANY($1::text[])`, [ids]);
  return new Set(r.rows.map((x) => x.id));
}

/**
 * Inserts many one-attempt runs already finished (local actions decided in
 * the same transaction: one write per run instead of an insert and an
 * update). Runs whose id exists are left alone; returns those inserted.
 */
export async function insertFinishedRuns(
  q: Queryable,
  rows: readonly (NewActionRun & {
    status: ActionRunStatus;
    outcome: string;
    result: Record<string, unknown>;
    decision_id: string | null;
  })[],
): Promise<ActionRun[]> {
  if (rows.length === 0) return [];
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((d) => d[k]);
  const r = await q.query<Row>(
    `INSERT INTO action_runs (id, incident_id, step, action, target, params, reopen_count, status, outcome, attempts, max_attempts,
                              last_error, result, decision_id, requested_by, created_at, updated_at, finished_at)
     SELECT id, i::bigint, st, a, t, p::jsonb, rc, s, o, 1, ma, CASE WHEN o = 'failed' THEN res::jsonb->>'message' END, res::jsonb, d::bigint, rb, c, c, c
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::text[], $10::timestamptz[],
                   $11::text[], $12::text[], $13::text[], $14::text[])
         WITH ORDINALITY AS x(id, i, st, a, t, p, rc, ma, rb, c, s, o, res, d, ord)
      ORDER BY ord
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      col('id'),
      col('incident_id'),
      col('step'),
      col('action'),
      col('target'),
      rows.map((x) => JSON.stringify(x.params)),
      col('reopen_count'),
      col('max_attempts'),
      col('requested_by'),
      col('now'),
      col('status'),
      col('outcome'),
      rows.map((x) => JSON.stringify(x.result)),
      col('decision_id'),
    ],
  );
  // Only the ids come back (a storm inserts 10,000 rows at once: reading every column back,
  // jsonb included, cost as much as the insert); the rows are what was written.
  const inserted = new Set((r.rows as unknown as { id: string }[]).map((x) => x.id));
  return rows
    .filter((x) => inserted.has(x.id))
    .map((x) => {
      const at = x.now.toISOString();
      return {
        id: x.id,
        incident_id: String(x.incident_id),
        step: x.step,
        action: x.action,
        target: x.target,
        params: x.params,
        reopen_count: x.reopen_count,
        status: x.status,
        outcome: x.outcome,
        attempts: 1,
        max_attempts: x.max_attempts,
        next_attempt_at: null,
        last_error: x.outcome === 'failed' && typeof x.result.message === 'string' ? x.result.message : null,
        result: x.result,
        decision_id: x.decision_id === null ? null : String(x.decision_id),
        requested_by: x.requested_by,
        created_at: at,
        updated_at: at,
        finished_at: at,
      };
    });
}
