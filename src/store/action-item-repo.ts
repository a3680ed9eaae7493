/** Action items table: the only place that writes their SQL. */
import type { Queryable } from './db.ts';
import { fromDbRow, type DbRow } from './db-row.ts';

export const ACTION_ITEM_STATUSES = ['open', 'done', 'dropped'] as const;
export type ActionItemStatus = (typeof ACTION_ITEM_STATUSES)[number];
export const ACTION_ITEM_KINDS = ['task', 'runbook_update'] as const;
export type ActionItemKind = (typeof ACTION_ITEM_KINDS)[number];
export type ActionItemSource = 'incident' | 'postmortem';

export interface ActionItemRecord {
  id: string;
  title: string;
  description: string;
  owner: string | null;
  due_at: string | null;
  status: ActionItemStatus;
  source: ActionItemSource;
  incident_id: string;
  postmortem_id: string | null;
  kind: ActionItemKind;
  runbook_file: string | null;
  reminders: number;
  last_reminded_at: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string | null;
  closed_at: string | null;
}

const ITEM_IDS = ['id', 'incident_id', 'postmortem_id'] as const;
const ITEM_TIMES = ['due_at', 'last_reminded_at', 'created_at', 'updated_at', 'closed_at'] as const;
type Row = DbRow<ActionItemRecord, (typeof ITEM_IDS)[number], (typeof ITEM_TIMES)[number]>;

function toRecord(r: Row): ActionItemRecord {
  return fromDbRow<ActionItemRecord>(r, ITEM_IDS, ITEM_TIMES);
}

export interface NewActionItem {
  title: string;
  description: string;
  owner: string | null;
  due_at: Date | null;
  source: ActionItemSource;
  incident_id: string;
  postmortem_id: string | null;
  kind: ActionItemKind;
  runbook_file: string | null;
  created_by: string;
  now: Date;
}

export async function insertActionItem(q: Queryable, n: NewActionItem): Promise<ActionItemRecord> {
  const r = await q.query<Row>(
    `INSERT INTO action_items (title, description, owner, due_at, source, incident_id, postmortem_id, kind, runbook_file, created_at, created_by, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10) RETURNING *`,
    [n.title, n.description, n.owner, n.due_at, n.source, n.incident_id, n.postmortem_id, n.kind, n.runbook_file, n.now, n.created_by],
  );
  return toRecord(r.rows[0]!);
}

export async function getActionItem(q: Queryable, id: string, forUpdate = false): Promise<ActionItemRecord | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const r = await q.query<Row>(`SELECT * FROM action_items WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export type ActionItemChanges = Partial<{
  title: string;
  description: string;
  owner: string | null;
  due_at: Date | null;
  status: ActionItemStatus;
  kind: ActionItemKind;
  runbook_file: string | null;
  closed_at: Date | null;
  updated_at: Date;
  updated_by: string;
}>;

export async function updateActionItem(q: Queryable, id: string, set: ActionItemChanges): Promise<ActionItemRecord> {
  const params: unknown[] = [id];
  const sets = (Object.keys(set) as (keyof ActionItemChanges)[]).map((c) => {
    params.push(set[c]);
    return `${c} = $${params.length}`;
  });
  const r = await q.query<Row>(`UPDATE action_items SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params);
  return toRecord(r.rows[0]!);
}

export async function deleteActionItem(q: Queryable, id: string): Promise<void> {
  await q.query(`DELETE FROM action_items WHERE id = $1`, [id]);
}

export async function recordActionItemReminder(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query(`UPDATE action_items SET reminders = reminders + 1, last_reminded_at = $2 WHERE id = $1`, [id, at]);
}

export interface ActionItemFilter {
  status?: ActionItemStatus[];
  owner?: string;
  /** true: open and past due at `now`; false: the others. */
  overdue?: boolean;
  incident_id?: string;
  postmortem_id?: string;
  kind?: ActionItemKind;
  now: Date;
  before?: string;
  limit: number;
}

export async function listActionItems(q: Queryable, f: ActionItemFilter): Promise<ActionItemRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (f.status?.length) add('status = ANY(?)', f.status);
  if (f.owner !== undefined) add('owner = ?', f.owner);
  if (f.overdue !== undefined)
    add(f.overdue ? `(status = 'open' AND due_at < ?)` : `NOT (status = 'open' AND coalesce(due_at < ?, false))`, f.now);
  if (f.incident_id) add('incident_id = ?', f.incident_id);
  if (f.postmortem_id) add('postmortem_id = ?', f.postmortem_id);
  if (f.kind) add('kind = ?', f.kind);
  if (f.before) add('id < ?', f.before);
  params.push(f.limit);
  const r = await q.query<Row>(
    `SELECT * FROM action_items ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toRecord);
}

/** Items of one incident (its own and its post-mortem's), oldest first, for the post-mortem document. */
export async function listActionItemsOfIncident(q: Queryable, incidentId: string): Promise<ActionItemRecord[]> {
  const r = await q.query<Row>(`SELECT * FROM action_items WHERE incident_id = $1 ORDER BY id`, [incidentId]);
  return r.rows.map(toRecord);
}
