/**
 * Removes fired timers of a periodic chain (the `verify` timers of one
 * incident), so a chain that fires every few seconds keeps at most a couple
 * of rows instead of one per firing. Pending timers are never touched.
 */
import type { Queryable } from './db.ts';

export async function deleteFiredTimers(q: Queryable, kind: string, refPrefix: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `WITH d AS (DELETE FROM timers WHERE kind = $1 AND starts_with(ref, $2) AND fired_at IS NOT NULL RETURNING 1) SELECT count(*)::int AS n FROM d`,
    [kind, refPrefix],
  );
  return r.rows[0]?.n ?? 0;
}
