/** Audit trail of every mutating call: who, what, when, from which address. */
import type { Queryable } from './db.ts';

export interface AuditRecord {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export async function writeAudit(
  q: Queryable,
  a: { at: Date; actor: string; action: string; target?: string | null; ip?: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await q.query(`INSERT INTO audit_log (at, actor, action, target, ip, details) VALUES ($1, $2, $3, $4, $5, $6)`, [
    a.at,
    a.actor,
    a.action,
    a.target ?? null,
    a.ip ?? null,
    a.details === undefined ? null : JSON.stringify(a.details),
  ]);
}

export async function listAudit(q: Queryable, opts: { before?: string; limit: number }): Promise<AuditRecord[]> {
  const r = await q.query<{
    id: number;
    at: Date;
    actor: string;
    action: string;
    target: string | null;
    ip: string | null;
    details: Record<string, unknown> | null;
  }>(`SELECT * FROM audit_log WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2`, [opts.before ?? null, opts.limit]);
  return r.rows.map((x) => ({ ...x, id: String(x.id), at: x.at.toISOString() }));
}

/** Writes many audit records in one statement (batched detections). */
export async function writeAuditMany(
  q: Queryable,
  as: readonly { at: Date; actor: string; action: string; target?: string | null; details?: Record<string, unknown> }[],
): Promise<void> {
  if (as.length === 0) return;
  await q.query(
    `INSERT INTO audit_log (at, actor, action, target, details)
     SELECT a, ac, act, t, d::jsonb FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(a, ac, act, t, d, ord) ORDER BY ord`,
    [
      as.map((a) => a.at),
      as.map((a) => a.actor),
      as.map((a) => a.action),
      as.map((a) => a.target ?? null),
      as.map((a) => (a.details === undefined ? null : JSON.stringify(a.details))),
    ],
  );
}
