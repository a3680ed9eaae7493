/** The allowlist entries added through the API (the configuration's entries and loopback are not stored). */
import type { Queryable } from './db.ts';

export interface StoredAllowEntry {
  id: string;
  /** Canonical CIDR text (`198.51.100.0/24`, `2001:db8::1/128`). */
  cidr: string;
  note: string | null;
  created_at: string;
  created_by: string;
}

interface Row {
  id: number | string;
  cidr: string;
  note: string | null;
  created_at: Date;
  created_by: string;
}

const toEntry = (r: Row): StoredAllowEntry => ({
  id: String(r.id),
  cidr: r.cidr,
  note: r.note,
  created_at: r.created_at.toISOString(),
  created_by: r.created_by,
});

/** Inserts an entry; returns null when the same CIDR is already stored. */
export async function insertAllowEntry(
  q: Queryable,
  e: { cidr: string; note: string | null; at: Date; by: string },
): Promise<StoredAllowEntry | null> {
  const r = await q.query<Row>(
    `INSERT INTO allowlist (cidr, note, created_at, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (cidr) DO NOTHING RETURNING *`,
    [e.cidr, e.note, e.at, e.by],
  );
  return r.rows[0] ? toEntry(r.rows[0]) : null;
}

export async function findAllowEntryByCidr(q: Queryable, cidr: string): Promise<StoredAllowEntry | null> {
  const r = await q.query<Row>(`SELECT * FROM allowlist WHERE cidr = $1`, [cidr]);
  return r.rows[0] ? toEntry(r.rows[0]) : null;
}

/** Every stored entry, oldest first (the list is small: it is read on every ban). */
export async function listAllowEntries(q: Queryable): Promise<StoredAllowEntry[]> {
  const r = await q.query<Row>(`SELECT * FROM allowlist ORDER BY id`);
  return r.rows.map(toEntry);
}

export async function deleteAllowEntry(q: Queryable, id: string): Promise<StoredAllowEntry | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const r = await q.query<Row>(`DELETE FROM allowlist WHERE id = $1 RETURNING *`, [id]);
  return r.rows[0] ? toEntry(r.rows[0]) : null;
}
