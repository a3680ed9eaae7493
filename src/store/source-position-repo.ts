/** Durable read positions of followed log files. */
import type { Queryable } from './db.ts';

export interface SourcePosition {
  source: string;
  path: string;
  inode: string | null;
  position: number;
  /** A partial last line read but not yet terminated. */
  carry: string;
}

export async function getSourcePosition(q: Queryable, source: string): Promise<SourcePosition | null> {
  const r = await q.query<SourcePosition>(`SELECT source, path, inode, position, carry FROM source_positions WHERE source = $1`, [source]);
  const row = r.rows[0];
  return row ? { ...row, position: Number(row.position) } : null;
}

export async function saveSourcePosition(q: Queryable, p: SourcePosition, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO source_positions (source, path, inode, position, carry, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (source) DO UPDATE SET path = EXCLUDED.path, inode = EXCLUDED.inode, position = EXCLUDED.position, carry = EXCLUDED.carry, updated_at = EXCLUDED.updated_at`,
    [p.source, p.path, p.inode, p.position, p.carry, at],
  );
}
