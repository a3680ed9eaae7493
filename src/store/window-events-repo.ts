/**
 * Stored events of one rule's window, for reading a rule's current value
 * during verification (src/service/runbooks/read-rule-value.ts). Filters by type and
 * by the incident's key; the rule's own match conditions are applied by the
 * caller with the domain's engine.
 *
 * Events are stored in batches (event-repo.ts): the batches overlapping the
 * window that hold one of the types are read, narrowed in SQL by a text search
 * for the key's JSON member (a cheap superset), then filtered exactly here.
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

/** Batches read per query at most (each holds up to a few thousand events). */
const PAGE = 200;

export async function countWindowEvents(q: Queryable, w: Omit<WindowQuery, 'limit'>): Promise<number> {
  return (await loadWindowEvents(q, { ...w, limit: Number.MAX_SAFE_INTEGER })).length;
}

export async function loadWindowEvents(q: Queryable, w: WindowQuery): Promise<FbEvent[]> {
  const params: unknown[] = [w.types, usToIso(w.sinceUs), usToIso(w.untilUs)];
  const where = ['types && $1::text[]', 'ts_max > $2', 'ts_min <= $3'];
  const member = (field: string, v: string | undefined) => {
    if (v === undefined) return;
    // Written by JSON.stringify (no space) or by PostgreSQL's jsonb output (a space after the colon).
    params.push(`"${field}":${JSON.stringify(v)}`, `"${field}": ${JSON.stringify(v)}`);
    where.push(`(strpos(data, $${params.length - 1}) > 0 OR strpos(data, $${params.length}) > 0)`);
  };
  member('ip', w.ip);
  member('user_id', w.userId);
  member('route', w.route);
  const types = new Set(w.types);
  const out: FbEvent[] = [];
  let afterId = 0;
  for (;;) {
    const r = await q.query<{ id: number; data: string }>(
      `SELECT id, data FROM event_batches WHERE ${where.join(' AND ')} AND id > $${params.length + 1} ORDER BY id LIMIT ${PAGE}`,
      [...params, afterId],
    );
    for (const row of r.rows) {
      for (const ev of JSON.parse(row.data) as FbEvent[]) {
        if (!types.has(ev.type) || !(ev.tsUs > w.sinceUs && ev.tsUs <= w.untilUs)) continue;
        if (w.ip !== undefined && ev.ip !== w.ip) continue;
        if (w.userId !== undefined && ev.user_id !== w.userId) continue;
        if (w.route !== undefined && ev.route !== w.route) continue;
        out.push(ev);
      }
      afterId = Number(row.id);
    }
    if (r.rows.length < PAGE || out.length >= w.limit) break;
  }
  // In time order, as the row-per-event table gave them (a stable sort keeps arrival order for equal times).
  out.sort((a, b) => a.tsUs - b.tsUs);
  return out.length > w.limit ? out.slice(0, w.limit) : out;
}
