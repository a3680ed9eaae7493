/** Aggregates read at scrape time by /metrics. */
import type { Queryable } from './db.ts';

/** Live (not ended, not expired) decisions by type. */
export async function activeDecisionsByType(q: Queryable, now: Date): Promise<Map<string, number>> {
  const r = await q.query<{ type: string; n: number }>(
    `SELECT type, count(*)::int AS n FROM decisions WHERE ended_at IS NULL AND until > $1 GROUP BY type`,
    [now],
  );
  return new Map(r.rows.map((x) => [x.type, x.n]));
}

/** Notification outcomes by channel and status (sent, failed, pending, sending, cancelled). */
export async function notificationsByChannel(q: Queryable): Promise<{ channel: string; status: string; n: number }[]> {
  const r = await q.query<{ channel: string; status: string; n: number }>(
    `SELECT channel, status, count(*)::int AS n FROM notifications GROUP BY channel, status`,
  );
  return r.rows;
}
