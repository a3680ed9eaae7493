/**
 * Raw events in batches, their per-minute aggregates, and retention.
 *
 * A batch is one row: a JSON array of events, with its time range and the
 * types inside, written by one group commit of the ingest pipeline. One row
 * per batch instead of a row per event keeps the durable path as fast as
 * detection alone (issue #13). An element is either an FbEvent (`tsUs`,
 * `type`, `ip`, ...: log followers, JSON-array requests, rows written before)
 * or the Event object exactly as an NDJSON request sent it (`ts` as RFC 3339:
 * the validated line's own text, stored without encoding it again); decoding
 * turns both into the same FbEvent.
 */
import { deflateRaw, inflateRawSync } from 'node:zlib';
import type { Queryable } from './db.ts';
import type { FbEvent } from '../domain/event.ts';
import { validateEvent } from '../domain/event-object.ts';
import { TimeScan } from '../domain/time.ts';

/** One event as stored inside a batch; throws on what JSON cannot hold (cycles, BigInt, nesting too deep). */
export function encodeEvent(ev: FbEvent): string {
  const s = JSON.stringify(ev);
  if (typeof s !== 'string') throw new Error('event is not JSON');
  return s;
}

/** Several events at once (the fast path); throws like encodeEvent if any one cannot be encoded. */
export function encodeEvents(evs: readonly FbEvent[]): string {
  const s = JSON.stringify(evs);
  return s.slice(1, -1); // the elements, comma separated, to be joined with other requests' elements
}

export interface EventBatchRow {
  tsMinUs: number;
  tsMaxUs: number;
  n: number;
  types: string[];
  /** Encoded events (encodeEvent / encodeEvents), comma separated. */
  parts: string[];
  /** packEventBatch(parts), when the caller packed them before its transaction. */
  data?: string;
}

/**
 * The `data` of a batch: its parts as one JSON array, deflated and in
 * base64. Deflating runs on the libuv thread pool (another core), so the
 * main thread goes on parsing requests meanwhile; one output chunk for the
 * whole batch, so one round trip to the pool.
 */
export function packEventBatch(parts: readonly string[]): Promise<string> {
  const json = Buffer.from(`[${parts.filter((p) => p !== '').join(',')}]`);
  return new Promise((resolve, reject) =>
    deflateRaw(json, { level: 1, chunkSize: Math.min(json.length + 1024, 64 << 20) }, (err, out) =>
      err ? reject(err) : resolve(out.toString('base64')),
    ),
  );
}

/** Stores one batch of encoded events as one row. */
export async function insertEventBatch(q: Queryable, b: EventBatchRow): Promise<void> {
  if (b.n === 0) return;
  const data = b.data ?? (await packEventBatch(b.parts));
  await q.query(`INSERT INTO event_batches (ts_min, ts_max, n, types, data) VALUES ($1, $2, $3, $4, $5)`, [
    usToIso(b.tsMinUs),
    usToIso(b.tsMaxUs),
    b.n,
    b.types,
    data,
  ]);
}

/**
 * The events of a stored batch's `data`. An element stored as the request's
 * Event object (it has `ts`; an FbEvent never has) is validated again into the
 * FbEvent the pipeline made of it when it was accepted; one that no longer
 * validates (rules of a later version) is left out and counted in `invalid`.
 */
export function decodeEventBatch(data: string, invalid?: { n: number; first: string | null }): FbEvent[] {
  const json = data.startsWith('[') ? data : inflateRawSync(Buffer.from(data, 'base64')).toString('utf8');
  const els = JSON.parse(json) as (FbEvent & { ts?: unknown })[];
  let scan: TimeScan | undefined;
  let out: FbEvent[] | undefined;
  for (let i = 0; i < els.length; i++) {
    const el = els[i]!;
    if (el.ts === undefined) {
      out?.push(el);
      continue;
    }
    if (!out) out = els.slice(0, i);
    const ev = validateEvent(el, (scan ??= new TimeScan()));
    if (typeof ev !== 'string') out.push(ev);
    else if (invalid) {
      invalid.n++;
      invalid.first ??= ev;
    }
  }
  return out ?? els;
}

export interface StoredBatch {
  id: number;
  events: FbEvent[];
  /** Stored events that no longer validate (a later version's limits): counted, not replayed. */
  invalid: number;
  /** The first one's validation error. */
  invalidError: string | null;
}

/**
 * Batches holding events newer than `sinceUs`, in the order they were stored,
 * after batch `afterId`, `limit` batches at a time (the caller filters events).
 */
export async function loadEventBatchesSince(q: Queryable, sinceUs: number, afterId: number, limit: number): Promise<StoredBatch[]> {
  const r = await q.query<{ id: number; data: string }>(
    `SELECT id, data FROM event_batches WHERE ts_max > $1 AND id > $2 ORDER BY id LIMIT $3`,
    [usToIso(sinceUs), afterId, limit],
  );
  return r.rows.map((row) => {
    const invalid = { n: 0, first: null as string | null };
    const events = decodeEventBatch(row.data, invalid);
    return { id: Number(row.id), events, invalid: invalid.n, invalidError: invalid.first };
  });
}

/**
 * The id of the batch after which the batches newer than `sinceUs` hold at
 * most `maxEvents` events (the rebuild keeps the newest events when there are
 * more); 0 when they all fit.
 */
export async function firstBatchWithin(q: Queryable, sinceUs: number, maxEvents: number): Promise<number> {
  const r = await q.query<{ id: number }>(
    `SELECT id FROM (SELECT id, sum(n) OVER (ORDER BY id DESC) AS acc FROM event_batches WHERE ts_max > $1) x
     WHERE acc > $2 ORDER BY id DESC LIMIT 1`,
    [usToIso(sinceUs), maxEvents],
  );
  return r.rows[0] ? Number(r.rows[0].id) : 0;
}

/** Deletes batches whose newest event is older than `before`; returns the events deleted. */
export async function deleteEventsBefore(q: Queryable, before: Date): Promise<number> {
  const r = await q.query<{ n: number }>(
    `WITH d AS (DELETE FROM event_batches WHERE ts_max < $1 RETURNING n) SELECT coalesce(sum(n), 0)::int AS n FROM d`,
    [before],
  );
  return r.rows[0]?.n ?? 0;
}

/** Adds per-minute counts (events, rejected, detections) by type. */
export async function addMinuteCounts(
  q: Queryable,
  rows: { minute: Date; type: string; events: number; rejected: number; detections: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO event_minutes (minute, type, events, rejected, detections)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
     ON CONFLICT (minute, type) DO UPDATE SET events = event_minutes.events + EXCLUDED.events,
       rejected = event_minutes.rejected + EXCLUDED.rejected, detections = event_minutes.detections + EXCLUDED.detections`,
    [
      rows.map((r) => r.minute),
      rows.map((r) => r.type),
      rows.map((r) => r.events),
      rows.map((r) => r.rejected),
      rows.map((r) => r.detections),
    ],
  );
}

export async function minuteSeries(
  q: Queryable,
  since: Date,
): Promise<{ minute: string; type: string; events: number; rejected: number; detections: number }[]> {
  const r = await q.query<{ minute: Date; type: string; events: number; rejected: number; detections: number }>(
    `SELECT minute, type, events, rejected, detections FROM event_minutes WHERE minute >= $1 ORDER BY minute`,
    [since],
  );
  return r.rows.map((x) => ({ ...x, minute: x.minute.toISOString() }));
}

export function usToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const micro = us - ms * 1000;
  const base = new Date(ms).toISOString(); // ...sss Z
  return micro === 0 ? base : `${base.slice(0, -1)}${String(micro).padStart(3, '0')}Z`;
}
