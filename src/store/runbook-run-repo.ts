/**
 * Runbook runs: the only place that writes their SQL. The runbook is stored
 * apart from the rest of the run state (same JSON, split for readability in
 * SQL); `getRun` puts them back together as a RunState.
 */
import type { Queryable } from './db.ts';
import type { RunState } from '../domain/runbook-run.ts';

/** Who executes a running step: the process holding `token` for `attempt`. */
export interface StepLease {
  attempt: number;
  token: string;
}

export interface StoredRun {
  incidentId: string;
  type: string;
  state: RunState;
  leases: Record<string, StepLease>;
  /** Only the `verify` timer carrying this number acts; older ones are stale. */
  verifySeq: number;
  verifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  incident_id: number | string;
  type: string;
  runbook: RunState['runbook'];
  state: Omit<RunState, 'runbook'>;
  leases: Record<string, StepLease> | null;
  verify_seq: number;
  verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toRun(r: Row): StoredRun {
  return {
    incidentId: String(r.incident_id),
    type: r.type,
    state: { ...r.state, runbook: r.runbook },
    leases: r.leases ?? {},
    verifySeq: r.verify_seq,
    verifiedAt: r.verified_at ? r.verified_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function split(state: RunState): [string, string] {
  const { runbook, ...rest } = state;
  return [JSON.stringify(runbook), JSON.stringify(rest)];
}

/** Inserts the run of an incident; false when it already has one (runs are never replaced). */
export async function insertRun(q: Queryable, r: { incidentId: string; state: RunState; now: Date }): Promise<boolean> {
  const [runbook, state] = split(r.state);
  const res = await q.query<{ incident_id: number }>(
    `INSERT INTO runbook_runs (incident_id, type, runbook, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (incident_id) DO NOTHING RETURNING incident_id`,
    [r.incidentId, r.state.runbook.type, runbook, state, r.now],
  );
  return res.rows.length > 0;
}

export async function getRun(q: Queryable, incidentId: string, forUpdate = false): Promise<StoredRun | null> {
  if (!/^\d{1,18}$/.test(incidentId)) return null;
  const r = await q.query<Row>(`SELECT * FROM runbook_runs WHERE incident_id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [incidentId]);
  return r.rows[0] ? toRun(r.rows[0]) : null;
}

/** Writes the parts given; the runbook itself never changes. */
export async function updateRun(
  q: Queryable,
  incidentId: string,
  set: { state?: RunState; leases?: Record<string, StepLease>; verifySeq?: number; verifiedAt?: Date | null },
  now: Date,
): Promise<void> {
  const params: unknown[] = [incidentId, now];
  const sets = ['updated_at = $2'];
  const add = (col: string, v: unknown) => {
    params.push(v);
    sets.push(`${col} = $${params.length}`);
  };
  if (set.state) add('state', split(set.state)[1]);
  if (set.leases) add('leases', JSON.stringify(set.leases));
  if (set.verifySeq !== undefined) add('verify_seq', set.verifySeq);
  if (set.verifiedAt !== undefined) add('verified_at', set.verifiedAt);
  await q.query(`UPDATE runbook_runs SET ${sets.join(', ')} WHERE incident_id = $1`, params);
}

/** Open incidents of these types that have no run yet (a crash between open and run start). */
export async function listOpenIncidentsWithoutRun(q: Queryable, types: readonly string[], limit: number): Promise<string[]> {
  if (types.length === 0) return [];
  const r = await q.query<{ id: number | string }>(
    `SELECT i.id FROM incidents i LEFT JOIN runbook_runs r ON r.incident_id = i.id
     WHERE i.status <> 'resolved' AND i.type = ANY($1) AND r.incident_id IS NULL ORDER BY i.id LIMIT $2`,
    [types, limit],
  );
  return r.rows.map((x) => String(x.id));
}
