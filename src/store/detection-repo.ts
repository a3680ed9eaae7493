/**
 * Detections: every rule firing, recorded before it is handled (a durable
 * intent), marked handled once its incident and actions exist, and listed
 * newest first for the API (`{rule, key, at, value, incident_id}`).
 */
import type { Queryable } from './db.ts';
import type { Detection } from '../domain/event.ts';
import { usToIso } from './event-repo.ts';

export interface DetectionRow {
  id: string;
  rule: string;
  key: string;
  atUs: number;
  value: number;
  incident_id: string | null;
  handled_at: string | null;
  attempts: number;
  last_error: string | null;
}

type Raw = {
  id: number | string;
  rule: string;
  key: string;
  at_us: number | string;
  value: number;
  incident_id: number | string | null;
  handled_at: Date | null;
  attempts: number;
  last_error: string | null;
};

const fromRaw = (r: Raw): DetectionRow => ({
  id: String(r.id),
  rule: r.rule,
  key: r.key,
  atUs: Number(r.at_us),
  value: Number(r.value),
  incident_id: r.incident_id === null ? null : String(r.incident_id),
  handled_at: r.handled_at ? r.handled_at.toISOString() : null,
  attempts: r.attempts,
  last_error: r.last_error,
});

/** Records detections (unhandled); returns their ids in the same order. */
export async function insertDetections(q: Queryable, ds: readonly Detection[]): Promise<string[]> {
  if (ds.length === 0) return [];
  const r = await q.query<{ id: number | string }>(
    `INSERT INTO detections (rule, key, at, at_us, value)
     SELECT rule, key, at, at_us, value FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::float8[]) WITH ORDINALITY
       AS d(rule, key, at, at_us, value, ord) ORDER BY ord
     RETURNING id`,
    [ds.map((d) => d.rule), ds.map((d) => d.key), ds.map((d) => usToIso(d.atUs)), ds.map((d) => d.atUs), ds.map((d) => d.value)],
  );
  // Ids of a bigserial follow the insertion order.
  return r.rows.map((x) => String(x.id)).sort((a, b) => Number(a) - Number(b));
}

/** Which of these firings (rule, key, time) are already recorded: the rebuild re-raises the others. */
export async function recordedDetections(q: Queryable, ds: readonly Detection[]): Promise<Set<string>> {
  if (ds.length === 0) return new Set();
  const r = await q.query<{ rule: string; key: string; at_us: number | string }>(
    `SELECT d.rule, d.key, d.at_us FROM detections d
     JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS x(rule, key, at_us) ON d.rule = x.rule AND d.key = x.key AND d.at_us = x.at_us`,
    [ds.map((d) => d.rule), ds.map((d) => d.key), ds.map((d) => d.atUs)],
  );
  return new Set(r.rows.map((x) => detectionIdentity(x.rule, x.key, Number(x.at_us))));
}

export const detectionIdentity = (rule: string, key: string, atUs: number): string => `${rule}\u0000${key}\u0000${atUs}`;

/** Unhandled detections after `afterId`, oldest first. */
export async function loadUnhandledDetections(q: Queryable, afterId: string, limit: number): Promise<DetectionRow[]> {
  const r = await q.query<Raw>(`SELECT * FROM detections WHERE handled_at IS NULL AND id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
  return r.rows.map(fromRaw);
}

/**
 * Marks detections handled and links each to the incident it opened or joined:
 * the open (or else newest) incident of the rule's type for the key.
 */
export async function markDetectionsHandled(
  q: Queryable,
  ids: readonly string[],
  incidentTypes: Record<string, string>,
  at: Date,
): Promise<void> {
  if (ids.length === 0) return;
  const rules = Object.keys(incidentTypes);
  await q.query(
    `UPDATE detections d SET handled_at = $2, last_error = NULL,
       incident_id = coalesce(d.incident_id, (
         SELECT i.id FROM incidents i
         WHERE i.dedup_key = d.key AND i.type = (SELECT t.type FROM unnest($3::text[], $4::text[]) AS t(rule, type) WHERE t.rule = d.rule)
         ORDER BY (i.status <> 'resolved') DESC, i.id DESC LIMIT 1))
     WHERE d.id = ANY($1::bigint[])`,
    [ids, at, rules, rules.map((r) => incidentTypes[r])],
  );
}

/** Counts a failed attempt at handling these detections. */
export async function markDetectionsFailed(q: Queryable, ids: readonly string[], error: string): Promise<void> {
  if (ids.length === 0) return;
  await q.query(`UPDATE detections SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [ids, error.slice(0, 1000)]);
}

export async function countUnhandledDetections(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM detections WHERE handled_at IS NULL`);
  return r.rows[0]?.n ?? 0;
}

export interface DetectionFilter {
  rule?: string;
  key?: string;
  sinceUs?: number;
  /** Keyset cursor: detections strictly older than (atUs, id). */
  before?: { atUs: number; id: string };
  limit: number;
}

/** Detections newest first (by time, then id). */
export async function listDetectionRows(q: Queryable, f: DetectionFilter): Promise<DetectionRow[]> {
  const r = await q.query<Raw>(
    `SELECT * FROM detections
     WHERE ($1::text IS NULL OR rule = $1) AND ($2::text IS NULL OR key = $2) AND ($3::bigint IS NULL OR at_us >= $3)
       AND ($4::bigint IS NULL OR (at_us, id) < ($4::bigint, $5::bigint))
     ORDER BY at_us DESC, id DESC LIMIT $6`,
    [f.rule ?? null, f.key ?? null, f.sinceUs ?? null, f.before?.atUs ?? null, f.before?.id ?? null, f.limit],
  );
  return r.rows.map(fromRaw);
}
