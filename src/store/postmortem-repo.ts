/** Post-mortems table: the only place that writes their SQL. */
import type { Queryable } from './db.ts';
import { fromDbRow, type DbRow } from './db-row.ts';
import type { PostmortemFacts, PostmortemStatus } from '../domain/postmortem.ts';
import type { PostmortemContent } from '../domain/postmortem-markdown.ts';

export interface PostmortemRecord extends PostmortemContent {
  id: string;
  incident_id: string;
  resolved_at: string;
  due_at: string;
  reminders: number;
  last_reminded_at: string | null;
  drafted_at: string;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
  published_at: string | null;
  version: number;
}

const POSTMORTEM_IDS = ['id', 'incident_id'] as const;
const POSTMORTEM_TIMES = ['resolved_at', 'due_at', 'last_reminded_at', 'drafted_at', 'created_at', 'updated_at', 'published_at'] as const;
type Row = DbRow<PostmortemRecord, (typeof POSTMORTEM_IDS)[number], (typeof POSTMORTEM_TIMES)[number]>;

function toRecord(r: Row): PostmortemRecord {
  return fromDbRow<PostmortemRecord>(r, POSTMORTEM_IDS, POSTMORTEM_TIMES);
}

export interface NewPostmortem {
  incident_id: string;
  title: string;
  summary: string;
  facts: PostmortemFacts;
  resolved_at: Date;
  due_at: Date;
  now: Date;
}

export async function insertPostmortem(q: Queryable, n: NewPostmortem): Promise<PostmortemRecord> {
  const r = await q.query<Row>(
    `INSERT INTO postmortems (incident_id, title, summary, facts, resolved_at, due_at, drafted_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) RETURNING *`,
    [n.incident_id, n.title, n.summary, JSON.stringify(n.facts), n.resolved_at, n.due_at, n.now],
  );
  return toRecord(r.rows[0]!);
}

export async function getPostmortem(q: Queryable, id: string, forUpdate = false): Promise<PostmortemRecord | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const r = await q.query<Row>(`SELECT * FROM postmortems WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function getPostmortemByIncident(q: Queryable, incidentId: string, forUpdate = false): Promise<PostmortemRecord | null> {
  if (!/^\d{1,18}$/.test(incidentId)) return null;
  const r = await q.query<Row>(`SELECT * FROM postmortems WHERE incident_id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [incidentId]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export type PostmortemChanges = Partial<
  PostmortemContent & {
    resolved_at: Date;
    due_at: Date;
    reminders: number;
    last_reminded_at: Date;
    drafted_at: Date;
    updated_at: Date;
    updated_by: string | null;
    published_at: Date | null;
  }
>;

/** Applies the changes and bumps `version`; returns the new row. */
export async function updatePostmortem(q: Queryable, id: string, set: PostmortemChanges): Promise<PostmortemRecord> {
  const params: unknown[] = [id];
  const sets = (Object.keys(set) as (keyof PostmortemChanges)[]).map((c) => {
    params.push(c === 'facts' ? JSON.stringify(set[c]) : set[c]);
    return `${c} = $${params.length}`;
  });
  const r = await q.query<Row>(`UPDATE postmortems SET ${[...sets, 'version = version + 1'].join(', ')} WHERE id = $1 RETURNING *`, params);
  return toRecord(r.rows[0]!);
}

export interface PostmortemFilter {
  incident_id?: string;
  status?: PostmortemStatus[];
  /** true: unpublished and due at `now`; false: the others. */
  overdue?: boolean;
  now: Date;
  /** Return post-mortems with id below this (cursor). */
  before?: string;
  limit: number;
}

export async function listPostmortems(q: Queryable, f: PostmortemFilter): Promise<PostmortemRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (f.incident_id) add('incident_id = ?', f.incident_id);
  if (f.status?.length) add('status = ANY(?)', f.status);
  if (f.overdue !== undefined) add(f.overdue ? `(status <> 'published' AND due_at <= ?)` : `(status = 'published' OR due_at > ?)`, f.now);
  if (f.before) add('id < ?', f.before);
  params.push(f.limit);
  const r = await q.query<Row>(
    `SELECT * FROM postmortems ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toRecord);
}

/**
 * Resolved incidents (resolved since `since`) whose post-mortem is missing or
 * drafted from an earlier resolution: what a crash between a resolve and its
 * draft timer can leave behind.
 */
export async function findUndraftedResolutions(
  q: Queryable,
  since: Date,
  severities: readonly string[],
  limit: number,
): Promise<{ id: string; resolved_at: string }[]> {
  const r = await q.query<{ id: number | string; resolved_at: Date }>(
    `SELECT i.id, i.resolved_at FROM incidents i LEFT JOIN postmortems p ON p.incident_id = i.id
     WHERE i.status = 'resolved' AND i.resolved_at >= $1 AND i.severity = ANY($2)
       AND (p.id IS NULL OR p.resolved_at <> i.resolved_at)
     ORDER BY i.resolved_at LIMIT $3`,
    [since, severities, limit],
  );
  return r.rows.map((x) => ({ id: String(x.id), resolved_at: x.resolved_at.toISOString() }));
}

/** When this schema version was applied (post-mortems exist since then), or null. */
export async function migrationAppliedAt(q: Queryable, version: number): Promise<Date | null> {
  const r = await q.query<{ applied_at: Date }>(`SELECT applied_at FROM schema_migrations WHERE version = $1`, [version]);
  return r.rows[0]?.applied_at ?? null;
}

/** Counts a reminder (does not change `version`: reminders are not edits). */
export async function recordPostmortemReminder(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query(`UPDATE postmortems SET reminders = reminders + 1, last_reminded_at = $2 WHERE id = $1`, [id, at]);
}
