/**
 * Campaigns (migration 007): incident members, each campaign's member count
 * and last growth, and the pacing of its "+N addresses" timeline entries.
 * The only SQL of incident_members.
 */
import type { Queryable } from './db.ts';

/** The open incident of `type` each key already belongs to: as its dedup key, or as a member. */
export async function findOpenForKeys(q: Queryable, type: string, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (keys.length === 0) return out;
  const r = await q.query<{ key: string; id: number | string }>(
    `SELECT dedup_key AS key, id FROM incidents WHERE type = $1 AND status <> 'resolved' AND dedup_key = ANY($2::text[])
     UNION ALL
     SELECT m.key, m.incident_id AS id FROM incident_members m JOIN incidents i ON i.id = m.incident_id
      WHERE m.key = ANY($2::text[]) AND i.type = $1 AND i.status <> 'resolved'`,
    [type, keys],
  );
  for (const row of r.rows) if (!out.has(row.key)) out.set(row.key, String(row.id));
  return out;
}

/** Open incidents of a rule's campaigns that grew at or after `since`. */
export async function findOpenCampaigns(q: Queryable, type: string, rule: string, since: Date): Promise<{ id: string; grewAt: Date }[]> {
  const r = await q.query<{ id: number | string; grew_at: Date }>(
    `SELECT id, grew_at FROM incidents WHERE type = $1 AND status <> 'resolved' AND grew_at >= $2 AND attrs->>'rule' = $3`,
    [type, since, rule],
  );
  return r.rows.map((x) => ({ id: String(x.id), grewAt: x.grew_at }));
}

export interface MemberDetection {
  incidentId: string;
  key: string;
  at: Date;
}

/**
 * Records detections of member keys (one statement). A new key is inserted;
 * a known one gets `last_at` moved and `detections` counted only when the
 * detection is later than the last one seen, so a retried batch changes
 * nothing. Returns, per incident, how many keys were new and how many
 * detections were counted, and the `incident|key` pairs whose detections
 * had all been recorded before (a re-handled batch).
 */
export async function recordMembers(
  q: Queryable,
  rows: readonly MemberDetection[],
): Promise<{ byIncident: Map<string, { added: number; counted: number; grewAt: Date }>; seenBefore: Set<string> }> {
  const out = new Map<string, { added: number; counted: number; grewAt: Date }>();
  const seenBefore = new Set<string>();
  if (rows.length === 0) return { byIncident: out, seenBefore };
  const r = await q.query<{ incident_id: number | string; key: string; inserted: boolean; counted: boolean; last_at: Date }>(
    `WITH input AS (
       SELECT i::bigint AS i, k, max(a) AS a, min(ord) AS o
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS x(i, k, a, ord) GROUP BY i, k),
     prev AS (SELECT m.incident_id, m.key, m.last_at FROM incident_members m JOIN input ON m.incident_id = input.i AND m.key = input.k),
     up AS (
       INSERT INTO incident_members (incident_id, key, first_at, last_at)
       SELECT i, k, a, a FROM input ORDER BY o
       ON CONFLICT (incident_id, key) DO UPDATE SET
         last_at = GREATEST(incident_members.last_at, EXCLUDED.last_at),
         detections = incident_members.detections + (EXCLUDED.last_at > incident_members.last_at)::int
       RETURNING incident_id, key, last_at)
     SELECT up.incident_id, up.key, prev.key IS NULL AS inserted, (prev.key IS NULL OR up.last_at > prev.last_at) AS counted, up.last_at
       FROM up LEFT JOIN prev ON prev.incident_id = up.incident_id AND prev.key = up.key`,
    [rows.map((x) => x.incidentId), rows.map((x) => x.key), rows.map((x) => x.at)],
  );
  for (const row of r.rows) {
    const id = String(row.incident_id);
    let e = out.get(id);
    if (!e) out.set(id, (e = { added: 0, counted: 0, grewAt: row.last_at }));
    if (row.inserted) e.added++;
    if (row.counted) e.counted++;
    else seenBefore.add(`${id}|${row.key}`);
    if (row.last_at > e.grewAt) e.grewAt = row.last_at;
  }
  return { byIncident: out, seenBefore };
}

/** Adds to a campaign's member and detection counts and moves its growth time forward (never back). */
export async function growIncident(
  q: Queryable,
  id: string,
  g: { added: number; counted: number; grewAt: Date | null; now: Date },
): Promise<void> {
  await q.query(
    `UPDATE incidents SET members = members + $2, detection_count = detection_count + $3,
       grew_at = CASE WHEN $4::timestamptz IS NULL THEN grew_at ELSE GREATEST(coalesce(grew_at, $4::timestamptz), $4::timestamptz) END,
       updated_at = CASE WHEN $2 > 0 OR $3 > 0 THEN $5 ELSE updated_at END
     WHERE id = $1`,
    [id, g.added, g.counted, g.grewAt, g.now],
  );
}

/** Arms the one pending announcement timer of a campaign; an armed one is left as it is (a storm must not keep pushing it back). */
export async function armTimerOnce(q: Queryable, kind: string, ref: string, dueAt: Date, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO timers (kind, ref, due_at, payload, created_at) VALUES ($1, $2, $3, '{}'::jsonb, $4)
     ON CONFLICT (kind, ref) WHERE fired_at IS NULL DO NOTHING`,
    [kind, ref, dueAt, now],
  );
}

/** Marks `count` members as announced; returns the counts before. */
export async function takeUnannounced(q: Queryable, id: string): Promise<{ members: number; announced: number } | null> {
  const r = await q.query<{ members: number; announced: number }>(
    `UPDATE incidents i SET members_announced = i.members FROM (SELECT id, members_announced FROM incidents WHERE id = $1 FOR UPDATE) old
     WHERE i.id = old.id RETURNING i.members, old.members_announced AS announced`,
    [id],
  );
  return r.rows[0] ?? null;
}

export interface Member {
  key: string;
  first_at: string;
  last_at: string;
  detections: number;
  seq: string;
}

/** Members of an incident in join order, optionally those whose key contains `search`; `after` is a seq cursor. */
export async function listMembers(q: Queryable, id: string, f: { search?: string; after?: string; limit: number }): Promise<Member[]> {
  const params: unknown[] = [id, f.after ?? '0', f.limit];
  let where = 'incident_id = $1 AND seq > $2::bigint';
  if (f.search) {
    params.push(`%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where += ` AND key ILIKE $${params.length}`;
  }
  const r = await q.query<{ key: string; first_at: Date; last_at: Date; detections: number; seq: number | string }>(
    `SELECT key, first_at, last_at, detections, seq FROM incident_members WHERE ${where} ORDER BY seq LIMIT $3`,
    params,
  );
  return r.rows.map((x) => ({
    key: x.key,
    first_at: x.first_at.toISOString(),
    last_at: x.last_at.toISOString(),
    detections: x.detections,
    seq: String(x.seq),
  }));
}

/** Every member key of an incident (verification reads each member's window); at most `limit`. */
export async function memberKeys(q: Queryable, id: string, limit: number): Promise<string[]> {
  const r = await q.query<{ key: string }>(`SELECT key FROM incident_members WHERE incident_id = $1 ORDER BY seq LIMIT $2`, [id, limit]);
  return r.rows.map((x) => x.key);
}

/** The member keys of the open campaign that `dedupKey` opened (null when it is not a campaign of several keys). */
export async function openCampaignKeys(q: Queryable, type: string, dedupKey: string, limit: number): Promise<string[] | null> {
  const r = await q.query<{ id: number | string; members: number }>(
    `SELECT id, members FROM incidents WHERE type = $1 AND dedup_key = $2 AND status <> 'resolved'`,
    [type, dedupKey],
  );
  const row = r.rows[0];
  if (!row || row.members < 2) return null;
  return memberKeys(q, String(row.id), limit);
}
