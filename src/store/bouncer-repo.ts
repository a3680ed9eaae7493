/**
 * Reads behind the CrowdSec-compatible bouncer API, and each bouncer's
 * cursor (the last change sequence it was sent).
 *
 * A delta pull reads only rows whose change sequence is above the bouncer's
 * cursor (index range scans on new_seq / del_seq), never the whole table.
 * Only ip and range decisions are ever read here.
 */
import type { Queryable } from './db.ts';
import { DECISION_COLUMNS, toDecision, type Decision, type DecisionRow } from './decision-repo.ts';

/** What a bouncer asked for (CrowdSec query parameters). */
export interface BouncerFilter {
  /** Subset of ip, range. */
  scopes: readonly ('ip' | 'range')[];
  type?: string;
  origins?: readonly string[];
  scenariosContaining?: readonly string[];
  scenariosNotContaining?: readonly string[];
}

function filterSql(f: BouncerFilter, params: unknown[]): string {
  const out: string[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  out.push(`scope = ANY(${p(f.scopes)}::text[])`);
  if (f.type) out.push(`type = ${p(f.type)}`);
  if (f.origins?.length) out.push(`origin = ANY(${p(f.origins)}::text[])`);
  const like = (words: readonly string[]) => words.map((w) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.scenariosContaining?.length) out.push(`reason ILIKE ANY(${p(like(f.scenariosContaining))}::text[])`);
  if (f.scenariosNotContaining?.length) out.push(`NOT (reason ILIKE ANY(${p(like(f.scenariosNotContaining))}::text[]))`);
  return out.join(' AND ');
}

async function select(q: Queryable, where: string, params: unknown[], order = 'id'): Promise<Decision[]> {
  const r = await q.query<DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions WHERE ${where} ORDER BY ${order}`, params);
  return r.rows.map(toDecision);
}

/** The highest change sequence visible now (0 when nothing ever changed). Two index lookups. */
export async function currentChangeSeq(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number | string | null; d: number | string | null }>(
    `SELECT (SELECT max(new_seq) FROM decisions) AS n, (SELECT max(del_seq) FROM decisions) AS d`,
  );
  const row = r.rows[0];
  return Math.max(Number(row?.n ?? 0), Number(row?.d ?? 0));
}

/**
 * One round trip for the common idle pull: the current change sequence, this
 * bouncer's cursor (null when it has none), and whether some decision is due
 * to expire.
 */
export async function peekStream(q: Queryable, tokenId: string, now: Date): Promise<{ high: number; cursor: number | null; due: boolean }> {
  const r = await q.query<{ n: number | string | null; d: number | string | null; c: number | string | null; due: boolean }>(
    `SELECT (SELECT max(new_seq) FROM decisions) AS n, (SELECT max(del_seq) FROM decisions) AS d,
            (SELECT last_seq FROM bouncer_cursors WHERE token_id = $1) AS c,
            EXISTS (SELECT 1 FROM decisions WHERE ended_at IS NULL AND until <= $2) AS due`,
    [tokenId, now],
  );
  const row = r.rows[0]!;
  return { high: Math.max(Number(row.n ?? 0), Number(row.d ?? 0)), cursor: row.c === null ? null : Number(row.c), due: row.due };
}

/** Every active decision (the startup answer). */
export async function activeForBouncer(q: Queryable, now: Date, f: BouncerFilter): Promise<Decision[]> {
  const params: unknown[] = [now];
  return select(q, `ended_at IS NULL AND until > $1 AND ${filterSql(f, params)}`, params);
}

/** Decisions that ended at or after `since` (sent as deleted at startup, as CrowdSec does, so a restarted bouncer drops stale state). */
export async function endedSinceForBouncer(q: Queryable, since: Date, f: BouncerFilter): Promise<Decision[]> {
  const params: unknown[] = [since];
  return select(q, `ended_at IS NOT NULL AND ended_at >= $1 AND ${filterSql(f, params)}`, params);
}

/** Announced (inserted or extended) in (after, upTo] and still active. */
export async function announcedBetween(q: Queryable, after: number, upTo: number, now: Date, f: BouncerFilter): Promise<Decision[]> {
  const params: unknown[] = [after, upTo, now];
  return select(q, `new_seq > $1 AND new_seq <= $2 AND ended_at IS NULL AND until > $3 AND ${filterSql(f, params)}`, params, 'new_seq');
}

/**
 * Ended in (after, upTo]. Sent even when the bouncer may never have seen the
 * decision (created and ended between two pulls, or extended after its last
 * pull): a deletion of an unknown decision is harmless, a missed one is not.
 */
export async function endedBetween(q: Queryable, after: number, upTo: number, f: BouncerFilter): Promise<Decision[]> {
  const params: unknown[] = [after, upTo];
  return select(q, `del_seq > $1 AND del_seq <= $2 AND ${filterSql(f, params)}`, params, 'del_seq');
}

/**
 * Active ip/range decisions covering an address or network:
 * `contains` (CrowdSec's default) = decisions whose network contains `net`
 * (the address itself and every range around it); otherwise those inside it.
 */
export async function coveringForBouncer(q: Queryable, net: string, contains: boolean, now: Date, f: BouncerFilter): Promise<Decision[]> {
  const params: unknown[] = [net, now];
  return select(q, `net ${contains ? '>>=' : '<<='} $1::inet AND ended_at IS NULL AND until > $2 AND ${filterSql(f, params)}`, params);
}

/** Active decisions of an exact scope and value. */
export async function exactForBouncer(q: Queryable, value: string | undefined, now: Date, f: BouncerFilter): Promise<Decision[]> {
  const params: unknown[] = [now];
  let where = `ended_at IS NULL AND until > $1 AND ${filterSql(f, params)}`;
  if (value !== undefined) {
    params.push(value);
    where += ` AND value = $${params.length}`;
  }
  return select(q, where, params);
}

export interface BouncerCursor {
  token_id: string;
  last_seq: number;
  last_pull_at: string;
}

export async function getBouncerCursor(q: Queryable, tokenId: string): Promise<BouncerCursor | null> {
  const r = await q.query<{ token_id: string; last_seq: number | string; last_pull_at: Date }>(
    `SELECT token_id, last_seq, last_pull_at FROM bouncer_cursors WHERE token_id = $1`,
    [tokenId],
  );
  const c = r.rows[0];
  return c ? { token_id: c.token_id, last_seq: Number(c.last_seq), last_pull_at: c.last_pull_at.toISOString() } : null;
}

/** Moves a bouncer's cursor forward (never back: two concurrent pulls keep the larger); `last_pull_at` is the last pull that moved it. */
export async function saveBouncerCursor(q: Queryable, tokenId: string, seq: number, at: Date, userAgent: string | null): Promise<void> {
  await q.query(
    `INSERT INTO bouncer_cursors (token_id, last_seq, last_pull_at, user_agent) VALUES ($1, $2, $3, $4)
     ON CONFLICT (token_id) DO UPDATE SET last_seq = GREATEST(bouncer_cursors.last_seq, EXCLUDED.last_seq), last_pull_at = EXCLUDED.last_pull_at, user_agent = EXCLUDED.user_agent`,
    [tokenId, seq, at, userAgent],
  );
}
