/**
 * Dead letters: events (or whole requests) that could not be stored as they
 * are (they throw when encoded, or the database refuses them). They are kept
 * here, counted and listed for administrators, instead of being retried
 * forever and blocking every later event (issue #17).
 */
import type { Queryable } from './db.ts';

export interface DeadLetter {
  id: string;
  at: string;
  /** Where it came from: `api` or `source:<name>`. */
  source: string;
  error: string;
  /** Events it stands for. */
  n: number;
  /** What could be kept of it (a bounded text rendering). */
  sample: string;
}

export async function insertDeadLetters(q: Queryable, rows: readonly Omit<DeadLetter, 'id' | 'at'>[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO dead_letters (at, source, error, n, sample) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[])`,
    [at, rows.map((r) => r.source), rows.map((r) => r.error), rows.map((r) => r.n), rows.map((r) => r.sample)],
  );
}

export async function listDeadLetters(q: Queryable, opts: { before?: string; limit: number }): Promise<DeadLetter[]> {
  const r = await q.query<{ id: number | string; at: Date; source: string; error: string; n: number; sample: string }>(
    `SELECT * FROM dead_letters WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2`,
    [opts.before ?? null, opts.limit],
  );
  return r.rows.map((x) => ({ ...x, id: String(x.id), at: x.at.toISOString() }));
}

export async function countDeadLetters(q: Queryable): Promise<{ letters: number; events: number }> {
  const r = await q.query<{ letters: number; events: number }>(
    `SELECT count(*)::int AS letters, coalesce(sum(n), 0)::int AS events FROM dead_letters`,
  );
  return r.rows[0] ?? { letters: 0, events: 0 };
}
