/** The append-only incident timeline. There is no update or delete here by design. */
import type { Queryable } from './db.ts';
import { fromDbRow, type DbRow } from './db-row.ts';
import type { PostmortemTimelineEntry } from '../domain/postmortem.ts';

/** One timeline entry; the post-mortem's facts keep them as they are. */
export type TimelineEntry = PostmortemTimelineEntry;

type Row = DbRow<TimelineEntry, 'id' | 'incident_id', 'at'>;

function toEntry(r: Row): TimelineEntry {
  return fromDbRow<TimelineEntry>(r, ['id', 'incident_id'], ['at']);
}

export interface NewTimelineEntry {
  incidentId: string;
  at: Date;
  kind: string;
  actor: string;
  message: string;
  data?: Record<string, unknown>;
}

export async function appendTimeline(q: Queryable, e: NewTimelineEntry): Promise<TimelineEntry> {
  const r = await q.query<Row>(
    `INSERT INTO incident_timeline (incident_id, at, kind, actor, message, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [e.incidentId, e.at, e.kind, e.actor, e.message, e.data === undefined ? null : JSON.stringify(e.data)],
  );
  return toEntry(r.rows[0]!);
}

export async function listTimeline(q: Queryable, incidentId: string, opts: { after?: string; limit: number }): Promise<TimelineEntry[]> {
  const r = await q.query<Row>(`SELECT * FROM incident_timeline WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3`, [
    incidentId,
    opts.after ?? '0',
    opts.limit,
  ]);
  return r.rows.map(toEntry);
}

/** Appends many entries in one statement, in the order given (batched detections). */
export async function appendTimelineMany(q: Queryable, es: readonly NewTimelineEntry[]): Promise<void> {
  if (es.length === 0) return;
  await q.query(
    `INSERT INTO incident_timeline (incident_id, at, kind, actor, message, data)
     SELECT i::bigint, a, k, ac, m, d::jsonb FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
       WITH ORDINALITY AS x(i, a, k, ac, m, d, ord) ORDER BY ord`,
    [
      es.map((e) => e.incidentId),
      es.map((e) => e.at),
      es.map((e) => e.kind),
      es.map((e) => e.actor),
      es.map((e) => e.message),
      es.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
    ],
  );
}
