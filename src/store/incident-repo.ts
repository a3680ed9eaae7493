/** Incidents table: the only place that writes their SQL. */
import type { Queryable } from './db.ts';
import { fromDbRow, type DbRow } from './db-row.ts';
import type { Incident, IncidentStatus } from '../domain/incident.ts';
import type { Severity } from '../domain/severity.ts';

const INCIDENT_TIMES = [
  'created_at',
  'updated_at',
  'detected_at',
  'ack_deadline',
  'acknowledged_at',
  'mitigated_at',
  'resolved_at',
  'sla_breached_at',
  'grew_at',
] as const;
type Row = DbRow<Omit<Incident, 'sla_breached' | 'attrs'>, 'id', (typeof INCIDENT_TIMES)[number]> & {
  attrs: Record<string, unknown> | null;
};

function toIncident({ attrs, ...r }: Row): Incident {
  const inc = fromDbRow<Omit<Incident, 'sla_breached' | 'attrs'>>(r, ['id'], INCIDENT_TIMES);
  return { ...inc, sla_breached: inc.sla_breached_at !== null, attrs: attrs ?? {} };
}

export interface NewIncident {
  type: string;
  severity: Severity;
  title: string;
  description: string | null;
  dedup_key: string | null;
  source: string;
  created_by: string;
  now: Date;
  detected_at: Date;
  ack_deadline: Date;
  attrs?: Record<string, unknown>;
}

/** Inserts unless an open incident with the same type and dedup key exists (then returns null). */
export async function insertIncident(q: Queryable, n: NewIncident): Promise<Incident | null> {
  const r = await q.query<Row>(
    `INSERT INTO incidents (type, severity, status, title, description, dedup_key, source, created_by, created_at, updated_at, detected_at, ack_deadline, attrs)
     VALUES ($1, $2, 'triggered', $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)
     ON CONFLICT (type, dedup_key) WHERE status <> 'resolved' AND dedup_key IS NOT NULL DO NOTHING
     RETURNING *`,
    [
      n.type,
      n.severity,
      n.title,
      n.description,
      n.dedup_key,
      n.source,
      n.created_by,
      n.now,
      n.detected_at,
      n.ack_deadline,
      JSON.stringify(n.attrs ?? {}),
    ],
  );
  return r.rows[0] ? toIncident(r.rows[0]) : null;
}

export async function findOpenByDedup(q: Queryable, type: string, dedupKey: string, forUpdate = false): Promise<Incident | null> {
  const r = await q.query<Row>(
    `SELECT * FROM incidents WHERE type = $1 AND dedup_key = $2 AND status <> 'resolved' ${forUpdate ? 'FOR UPDATE' : ''}`,
    [type, dedupKey],
  );
  return r.rows[0] ? toIncident(r.rows[0]) : null;
}

/** The most recently resolved incident of this type and key (for the re-open window). */
export async function findLastResolvedByDedup(q: Queryable, type: string, dedupKey: string): Promise<Incident | null> {
  const r = await q.query<Row>(
    `SELECT * FROM incidents WHERE type = $1 AND dedup_key = $2 AND status = 'resolved' ORDER BY resolved_at DESC LIMIT 1 FOR UPDATE`,
    [type, dedupKey],
  );
  return r.rows[0] ? toIncident(r.rows[0]) : null;
}

export async function getIncident(q: Queryable, id: string, forUpdate = false): Promise<Incident | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const r = await q.query<Row>(`SELECT * FROM incidents WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toIncident(r.rows[0]) : null;
}

export interface IncidentFilter {
  status?: IncidentStatus[];
  severity?: Severity[];
  type?: string[];
  q?: string;
  /** Return incidents with id below this (cursor). */
  before?: string;
  limit: number;
}

export async function listIncidents(q: Queryable, f: IncidentFilter): Promise<Incident[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status?.length) add('status = ANY(?)', f.status);
  if (f.severity?.length) add('severity = ANY(?)', f.severity);
  if (f.type?.length) add('type = ANY(?)', f.type);
  if (f.before) add('id < ?', f.before);
  if (f.q)
    add(
      `(title ILIKE ? OR coalesce(dedup_key, '') ILIKE $${params.length + 1} OR type ILIKE $${params.length + 1}
        OR (members > 0 AND EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = incidents.id AND m.key ILIKE $${params.length + 1})))`,
      `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    );
  params.push(f.limit);
  const r = await q.query<Row>(
    `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toIncident);
}

/** Applies a partial update of lifecycle columns; returns the new row. */
export async function updateIncident(
  q: Queryable,
  id: string,
  set: Partial<{
    status: IncidentStatus;
    severity: Severity;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    mitigated_at: Date | null;
    resolved_at: Date | null;
    resolved_by: string | null;
    sla_breached_at: Date | null;
    ack_deadline: Date;
    reopen_count: number;
    detection_count: number;
    updated_at: Date;
    attrs: Record<string, unknown>;
    title: string;
  }>,
): Promise<Incident> {
  const cols = Object.keys(set) as (keyof typeof set)[];
  const params: unknown[] = [id];
  const sets = cols.map((c) => {
    const v = set[c];
    params.push(c === 'attrs' ? JSON.stringify(v) : v);
    return `${c} = $${params.length}`;
  });
  const r = await q.query<Row>(`UPDATE incidents SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params);
  return toIncident(r.rows[0]!);
}

export async function countIncidentsByStatus(q: Queryable): Promise<Record<string, number>> {
  const r = await q.query<{ status: string; severity: string; n: number }>(
    `SELECT status, severity, count(*)::int AS n FROM incidents GROUP BY status, severity`,
  );
  const out: Record<string, number> = {};
  for (const row of r.rows) out[`${row.status}:${row.severity}`] = row.n;
  return out;
}
