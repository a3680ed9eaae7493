/**
 * Stored events of one rule's window, for reading a rule's current value
 * during verification (src/service/runbooks/read-rule-value.ts). Filters by type and
 * by the incident's key; the rule's own match conditions are applied by the
 * caller with the domain's engine.
 */
import type { Queryable } from './db.ts';
import type { FbEvent } from '../domain/event.ts';
import { usToIso } from './event-repo.ts';

export interface WindowQuery {
  types: readonly string[];
  /** Events with sinceUs < ts <= untilUs. */
  sinceUs: number;
  untilUs: number;
  ip?: string;
  userId?: string;
  route?: string;
  limit: number;
}

function windowWhere(w: Omit<WindowQuery, 'limit'>): { where: string; params: unknown[] } {
  const params: unknown[] = [w.types, usToIso(w.sinceUs), usToIso(w.untilUs)];
  const where = ['type = ANY($1)', 'ts > $2', 'ts <= $3'];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (w.ip !== undefined) add('ip = ?', w.ip);
  if (w.userId !== undefined) add('user_id = ?', w.userId);
  if (w.route !== undefined) add(`data->>'route' = ?`, w.route);
  return { where: where.join(' AND '), params };
}

/** How many events the window holds (for count rules without field conditions). */
export async function countWindowEvents(q: Queryable, w: Omit<WindowQuery, 'limit'>): Promise<number> {
  const { where, params } = windowWhere(w);
  const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE ${where}`, params);
  return r.rows[0]?.n ?? 0;
}

export async function loadWindowEvents(q: Queryable, w: WindowQuery): Promise<FbEvent[]> {
  const { where: cond, params } = windowWhere(w);
  params.push(w.limit);
  const r = await q.query<{ us: number; type: string; ip: string | null; user_id: string | null; data: Record<string, unknown> }>(
    `SELECT (extract(epoch FROM ts) * 1000000)::bigint AS us, type, ip, user_id, data FROM events
     WHERE ${cond} ORDER BY ts, id LIMIT $${params.length}`,
    params,
  );
  return r.rows.map((row) => {
    const ev: FbEvent = { ...(row.data as Partial<FbEvent>), type: row.type, tsUs: Number(row.us) };
    if (row.ip) ev.ip = row.ip;
    if (row.user_id) ev.user_id = row.user_id;
    return ev;
  });
}
