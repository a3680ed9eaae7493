/** Raw events in bulk, their per-minute aggregates, and retention. */
import type { Queryable } from './db.ts';
import type { FbEvent } from '../domain/event.ts';

/** Inserts events in one statement (arrays unnested server-side). */
export async function insertEvents(q: Queryable, events: readonly FbEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ts: string[] = [];
  const types: string[] = [];
  const ips: (string | null)[] = [];
  const users: (string | null)[] = [];
  const data: string[] = [];
  for (const e of events) {
    ts.push(usToIso(e.tsUs));
    types.push(e.type);
    ips.push(e.ip ?? null);
    users.push(e.user_id ?? null);
    const { type: _t, tsUs: _ts, ip: _ip, user_id: _u, ...rest } = e;
    data.push(JSON.stringify(rest));
  }
  await q.query(
    `INSERT INTO events (ts, type, ip, user_id, data)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::jsonb[])`,
    [ts, types, ips, users, data],
  );
}

/** Events with `ts > sinceUs`, oldest first, for rebuilding windows. */
export async function loadEventsSince(q: Queryable, sinceUs: number, limit: number): Promise<FbEvent[]> {
  const r = await q.query<{ us: number; type: string; ip: string | null; user_id: string | null; data: Record<string, unknown> }>(
    `SELECT (extract(epoch FROM ts) * 1000000)::bigint AS us, type, ip, user_id, data FROM events WHERE ts > $1 ORDER BY ts, id LIMIT $2`,
    [usToIso(sinceUs), limit],
  );
  return r.rows.map((row) => {
    const ev: FbEvent = { ...(row.data as Partial<FbEvent>), type: row.type, tsUs: Number(row.us) };
    if (row.ip) ev.ip = row.ip;
    if (row.user_id) ev.user_id = row.user_id;
    return ev;
  });
}

export async function deleteEventsBefore(q: Queryable, before: Date): Promise<number> {
  const r = await q.query<{ n: number }>(`WITH d AS (DELETE FROM events WHERE ts < $1 RETURNING 1) SELECT count(*)::int AS n FROM d`, [
    before,
  ]);
  return r.rows[0]?.n ?? 0;
}

/** Adds per-minute counts (events, rejected, detections) by type. */
export async function addMinuteCounts(
  q: Queryable,
  rows: { minute: Date; type: string; events: number; rejected: number; detections: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO event_minutes (minute, type, events, rejected, detections)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
     ON CONFLICT (minute, type) DO UPDATE SET events = event_minutes.events + EXCLUDED.events,
       rejected = event_minutes.rejected + EXCLUDED.rejected, detections = event_minutes.detections + EXCLUDED.detections`,
    [
      rows.map((r) => r.minute),
      rows.map((r) => r.type),
      rows.map((r) => r.events),
      rows.map((r) => r.rejected),
      rows.map((r) => r.detections),
    ],
  );
}

export async function minuteSeries(
  q: Queryable,
  since: Date,
): Promise<{ minute: string; type: string; events: number; rejected: number; detections: number }[]> {
  const r = await q.query<{ minute: Date; type: string; events: number; rejected: number; detections: number }>(
    `SELECT minute, type, events, rejected, detections FROM event_minutes WHERE minute >= $1 ORDER BY minute`,
    [since],
  );
  return r.rows.map((x) => ({ ...x, minute: x.minute.toISOString() }));
}

export function usToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const micro = us - ms * 1000;
  const base = new Date(ms).toISOString(); // ...sss Z
  return micro === 0 ? base : `${base.slice(0, -1)}${String(micro).padStart(3, '0')}Z`;
}
