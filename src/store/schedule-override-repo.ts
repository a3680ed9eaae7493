/** On-call overrides: someone covers a schedule for [start, end) instead of the rotation. */
import type { Queryable } from './db.ts';

export interface ScheduleOverride {
  id: string;
  schedule: string;
  person: string;
  start: string;
  end: string;
  created_at: string;
  created_by: string;
}

interface Raw {
  id: string;
  schedule: string;
  person: string;
  start_at: Date;
  end_at: Date;
  created_at: Date;
  created_by: string;
}

const toOverride = (r: Raw): ScheduleOverride => ({
  id: r.id,
  schedule: r.schedule,
  person: r.person,
  start: r.start_at.toISOString(),
  end: r.end_at.toISOString(),
  created_at: r.created_at.toISOString(),
  created_by: r.created_by,
});

export async function insertOverride(
  q: Queryable,
  o: { id: string; schedule: string; person: string; start: Date; end: Date; createdAt: Date; createdBy: string },
): Promise<ScheduleOverride> {
  const r = await q.query<Raw>(
    `INSERT INTO schedule_overrides (id, schedule, person, start_at, end_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [o.id, o.schedule, o.person, o.start, o.end, o.createdAt, o.createdBy],
  );
  return toOverride(r.rows[0]!);
}

/**
 * Overrides of a schedule that end after `endsAfter` (all when null), in the
 * order they were created: later overrides win where they overlap
 * (domain/oncall.ts), so creation order is part of the meaning.
 */
export async function listOverrides(q: Queryable, schedule: string, endsAfter: Date | null): Promise<ScheduleOverride[]> {
  const r = await q.query<Raw>(
    `SELECT * FROM schedule_overrides WHERE schedule = $1 AND ($2::timestamptz IS NULL OR end_at > $2::timestamptz) ORDER BY created_at, id`,
    [schedule, endsAfter],
  );
  return r.rows.map(toOverride);
}

export async function deleteOverride(q: Queryable, schedule: string, id: string): Promise<ScheduleOverride | null> {
  const r = await q.query<Raw>(`DELETE FROM schedule_overrides WHERE schedule = $1 AND id = $2 RETURNING *`, [schedule, id]);
  return r.rows[0] ? toOverride(r.rows[0]) : null;
}
