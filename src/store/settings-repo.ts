/** Server-wide settings generated once and shared by every process on the database. */
import type { Queryable } from './db.ts';

/**
 * Returns the value of `key`, storing `generate()` first when there is none.
 * Two processes starting together agree: the first insert wins and both read it.
 */
export async function getOrCreateSetting(q: Queryable, key: string, generate: () => string, now: Date): Promise<string> {
  await q.query(`INSERT INTO settings (key, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`, [key, generate(), now]);
  const r = await q.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [key]);
  return r.rows[0]!.value;
}
