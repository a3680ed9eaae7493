/**
 * Cluster mode: each partition's commit point (the last stream entry whose
 * events went through the rules) and the detections committed with it.
 */
import type { Detection } from '../domain/event.ts';
import type { Queryable } from './db.ts';
import { usToIso } from './event-repo.ts';
import { insertDetections } from './detection-repo.ts';

export interface CommittedDetection extends Detection {
  partition: number;
  entryId: string;
  /** Its row in `detections` (null before the commit). */
  detectionId?: string | null;
}

/** The partition's last processed entry id ('0-0' when none). */
export async function getPartitionCursor(q: Queryable, prefix: string, partition: number): Promise<string> {
  const r = await q.query<{ last_id: string }>(`SELECT last_id FROM cluster_partitions WHERE prefix = $1 AND partition = $2`, [
    prefix,
    partition,
  ]);
  return r.rows[0]?.last_id ?? '0-0';
}

/**
 * Moves the partition's commit point from `from` to `to` (compare-and-set:
 * false when another owner moved it meanwhile, and then nothing is written)
 * and inserts the detections, skipping any already committed. Returns the
 * detections this call inserted.
 */
export async function commitPartition(
  q: Queryable,
  c: { prefix: string; partition: number; from: string; to: string; instance: string; detections: readonly CommittedDetection[] },
): Promise<{ ok: boolean; inserted: CommittedDetection[] }> {
  await q.query(`INSERT INTO cluster_partitions (prefix, partition) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [c.prefix, c.partition]);
  const moved = await q.query(
    `UPDATE cluster_partitions SET last_id = $3, owner = $5, updated_at = now() WHERE prefix = $1 AND partition = $2 AND last_id = $4 RETURNING 1`,
    [c.prefix, c.partition, c.to, c.from, c.instance],
  );
  if (moved.rows.length === 0) return { ok: false, inserted: [] };
  const inserted: CommittedDetection[] = [];
  for (const d of c.detections) {
    const r = await q.query(
      `INSERT INTO cluster_detections (rule, key, at_us, value, partition, entry_id, instance) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [d.rule, d.key, d.atUs, d.value, d.partition, d.entryId, c.instance],
    );
    if (r.rows.length > 0) inserted.push(d);
  }
  // Also in `detections`, as one process records them (the detections API reads it).
  const ids = await insertDetections(q, inserted);
  for (let i = 0; i < inserted.length; i++) {
    inserted[i] = { ...inserted[i]!, detectionId: ids[i]! };
    await q.query(`UPDATE cluster_detections SET detection_id = $4 WHERE rule = $1 AND key = $2 AND at_us = $3`, [
      inserted[i]!.rule,
      inserted[i]!.key,
      inserted[i]!.atUs,
      ids[i],
    ]);
  }
  return { ok: true, inserted };
}

/** Marks a committed detection as handled (its incident opened or appended). */
export async function markDetectionHandled(q: Queryable, d: Detection, at: Date): Promise<void> {
  await q.query(`UPDATE cluster_detections SET handled_at = $4 WHERE rule = $1 AND key = $2 AND at_us = $3`, [d.rule, d.key, d.atUs, at]);
}

/** Committed detections of a partition whose handling did not finish (the owner died in between), oldest first. */
export async function unhandledDetections(q: Queryable, partition: number): Promise<CommittedDetection[]> {
  const r = await q.query<{ rule: string; key: string; at_us: number; value: number; partition: number; entry_id: string }>(
    `SELECT rule, key, at_us, value, partition, entry_id FROM cluster_detections WHERE partition = $1 AND handled_at IS NULL ORDER BY at_us`,
    [partition],
  );
  return r.rows.map((x) => ({
    rule: x.rule,
    key: x.key,
    atUs: Number(x.at_us),
    value: x.value,
    partition: x.partition,
    entryId: x.entry_id,
  }));
}

/** Committed detections, oldest first (tests, operators). */
export async function listClusterDetections(q: Queryable, limit = 100_000): Promise<CommittedDetection[]> {
  const r = await q.query<{ rule: string; key: string; at_us: number; value: number; partition: number; entry_id: string }>(
    `SELECT rule, key, at_us, value, partition, entry_id FROM cluster_detections ORDER BY at_us, rule, key LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => ({
    rule: x.rule,
    key: x.key,
    atUs: Number(x.at_us),
    value: x.value,
    partition: x.partition,
    entryId: x.entry_id,
  }));
}

/** Commit points of every partition of a prefix. */
export async function listPartitionCursors(
  q: Queryable,
  prefix: string,
): Promise<{ partition: number; lastId: string; owner: string | null }[]> {
  const r = await q.query<{ partition: number; last_id: string; owner: string | null }>(
    `SELECT partition, last_id, owner FROM cluster_partitions WHERE prefix = $1 ORDER BY partition`,
    [prefix],
  );
  return r.rows.map((x) => ({ partition: x.partition, lastId: x.last_id, owner: x.owner }));
}

/**
 * Whether a detection is already evidence on an incident's timeline: its
 * owner died after handling it but before marking it handled. Read only when
 * a new owner finishes such detections, so the incident is not appended twice.
 */
export async function detectionOnTimeline(q: Queryable, d: Detection): Promise<boolean> {
  const r = await q.query(
    `SELECT 1 FROM incident_timeline WHERE data->>'source' = $1 AND data->'evidence'->>'key' = $2 AND data->'evidence'->>'at' = $3 LIMIT 1`,
    [`rule:${d.rule}`, d.key, usToIso(d.atUs)],
  );
  return r.rows.length > 0;
}
