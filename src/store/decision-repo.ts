/**
 * Decisions table (bans, rate limits, locks): the only place that writes
 * their SQL. Reads for the bouncer stream are in bouncer-repo.ts.
 *
 * Invariants (see 003-decisions.sql):
 * - at most one live decision (ended_at IS NULL) per scope, value and type;
 * - every write that takes a change sequence number runs after
 *   lockDecisionChanges() in the same transaction, so sequence order is
 *   commit order;
 * - a decision is *active* while it is live and `until` is in the future; an
 *   expired one stays live until expireDueDecisions() ends it (the stream
 *   then reports it as deleted).
 */
import type { Queryable } from './db.ts';

export type DecisionScope = 'ip' | 'range' | 'user' | 'global';
export type EndReason = 'deleted' | 'expired' | 'allowlisted';

export interface Decision {
  id: string;
  scope: DecisionScope;
  value: string;
  type: string;
  origin: string;
  reason: string;
  incident_id: string | null;
  action_id: string | null;
  created_at: string;
  created_by: string;
  until: string;
  ended_at: string | null;
  ended_by: string | null;
  end_reason: EndReason | null;
  new_seq: number;
  del_seq: number | null;
}

interface Row {
  id: number | string;
  scope: DecisionScope;
  value: string;
  type: string;
  origin: string;
  reason: string;
  incident_id: number | string | null;
  action_id: string | null;
  created_at: Date;
  created_by: string;
  until: Date;
  ended_at: Date | null;
  ended_by: string | null;
  end_reason: EndReason | null;
  new_seq: number | string;
  del_seq: number | string | null;
}

const COLUMNS =
  'id, scope, value, type, origin, reason, incident_id, action_id, created_at, created_by, until, ended_at, ended_by, end_reason, new_seq, del_seq';

export function toDecision(r: Row): Decision {
  return {
    id: String(r.id),
    scope: r.scope,
    value: r.value,
    type: r.type,
    origin: r.origin,
    reason: r.reason,
    incident_id: r.incident_id === null ? null : String(r.incident_id),
    action_id: r.action_id,
    created_at: r.created_at.toISOString(),
    created_by: r.created_by,
    until: r.until.toISOString(),
    ended_at: r.ended_at ? r.ended_at.toISOString() : null,
    ended_by: r.ended_by,
    end_reason: r.end_reason,
    new_seq: Number(r.new_seq),
    del_seq: r.del_seq === null ? null : Number(r.del_seq),
  };
}
export type DecisionRow = Row;
export const DECISION_COLUMNS = COLUMNS;

const CHANGE_LOCK = 774_002;

/** Serializes change-sequence writers until commit (see the file comment). */
export async function lockDecisionChanges(q: Queryable): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [CHANGE_LOCK]);
}

export interface NewDecision {
  scope: DecisionScope;
  value: string;
  type: string;
  /** `ip`/`range` scopes: the address or CIDR text for the inet column. */
  net: string | null;
  origin: string;
  reason: string;
  incident_id: string | null;
  action_id: string | null;
  created_by: string;
  created_at: Date;
  until: Date;
}

export async function insertDecision(q: Queryable, d: NewDecision): Promise<Decision> {
  const r = await q.query<Row>(
    `INSERT INTO decisions (scope, value, type, net, origin, reason, incident_id, action_id, created_at, created_by, until, new_seq)
     VALUES ($1, $2, $3, $4::inet, $5, $6, $7, $8, $9, $10, $11, nextval('decision_changes')) RETURNING ${COLUMNS}`,
    [d.scope, d.value, d.type, d.net, d.origin, d.reason, d.incident_id, d.action_id, d.created_at, d.created_by, d.until],
  );
  return toDecision(r.rows[0]!);
}

/** The unnest() parameters of a multi-row decision insert, $1..$11 in the column order of both inserts below. */
function unnestColumns(rows: readonly NewDecision[]): unknown[] {
  const col = <K extends keyof NewDecision>(k: K) => rows.map((d) => d[k]);
  return [
    col('scope'),
    col('value'),
    col('type'),
    col('net'),
    col('origin'),
    col('reason'),
    col('incident_id'),
    col('action_id'),
    col('created_at'),
    col('created_by'),
    col('until'),
  ];
}

/**
 * Inserts many decisions in one statement (imports, load tests). Each row
 * gets its own change sequence number. Rows conflicting with a live decision
 * of the same key are skipped; returns how many were inserted.
 */
export async function insertDecisions(q: Queryable, rows: readonly NewDecision[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await q.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO decisions (scope, value, type, net, origin, reason, incident_id, action_id, created_at, created_by, until, new_seq)
       SELECT s, v, t, n::inet, o, re, i::bigint, a, c, cb, u, nextval('decision_changes')
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::timestamptz[])
         AS x(s, v, t, n, o, re, i, a, c, cb, u)
       ON CONFLICT (scope, value, type) WHERE ended_at IS NULL DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    unnestColumns(rows),
  );
  return r.rows[0]?.n ?? 0;
}

/** The live (not ended) decision for a key, possibly already expired. */
export async function findLiveDecision(
  q: Queryable,
  scope: DecisionScope,
  value: string,
  type: string,
  forUpdate = false,
): Promise<Decision | null> {
  const r = await q.query<Row>(
    `SELECT ${COLUMNS} FROM decisions WHERE scope = $1 AND value = $2 AND type = $3 AND ended_at IS NULL ${forUpdate ? 'FOR UPDATE' : ''}`,
    [scope, value, type],
  );
  return r.rows[0] ? toDecision(r.rows[0]) : null;
}

/** Moves `until` later and re-announces the decision on the stream (new change sequence). */
export async function extendDecision(q: Queryable, id: string, until: Date, reason: string): Promise<Decision> {
  const r = await q.query<Row>(
    `UPDATE decisions SET until = $2, reason = $3, new_seq = nextval('decision_changes') WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, until, reason],
  );
  return toDecision(r.rows[0]!);
}

export async function getDecision(q: Queryable, id: string, forUpdate = false): Promise<Decision | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const r = await q.query<Row>(`SELECT ${COLUMNS} FROM decisions WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toDecision(r.rows[0]) : null;
}

export interface EndBy {
  at: Date;
  by: string;
  reason: EndReason;
}

/** Ends live decisions by id; returns those it ended (already ended ones are left alone). */
export async function endDecisions(q: Queryable, ids: readonly string[], end: EndBy): Promise<Decision[]> {
  if (ids.length === 0) return [];
  const r = await q.query<Row>(
    `UPDATE decisions SET ended_at = $2, ended_by = $3, end_reason = $4, del_seq = nextval('decision_changes')
     WHERE id = ANY($1::bigint[]) AND ended_at IS NULL RETURNING ${COLUMNS}`,
    [ids, end.at, end.by, end.reason],
  );
  return r.rows.map(toDecision);
}

/** True when some live decision has passed its `until` (cheap: partial index on until). */
export async function hasDueDecisions(q: Queryable, now: Date): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM decisions WHERE ended_at IS NULL AND until <= $1 LIMIT 1`, [now]);
  return r.rows.length > 0;
}

/** Ends every live decision whose `until` has passed, at its `until`; returns how many. */
export async function expireDueDecisions(q: Queryable, now: Date, limit = 10_000): Promise<number> {
  const r = await q.query<{ n: number }>(
    `WITH due AS (SELECT id FROM decisions WHERE ended_at IS NULL AND until <= $1 ORDER BY until LIMIT $2 FOR UPDATE SKIP LOCKED),
          upd AS (UPDATE decisions d SET ended_at = d.until, ended_by = 'expiry', end_reason = 'expired', del_seq = nextval('decision_changes')
                  FROM due WHERE d.id = due.id RETURNING 1)
     SELECT count(*)::int AS n FROM upd`,
    [now, limit],
  );
  return r.rows[0]?.n ?? 0;
}

/** Live ip/range decisions whose network overlaps `cidr` (allowlisting lifts them). */
export async function findLiveOverlapping(q: Queryable, cidr: string): Promise<Decision[]> {
  const r = await q.query<Row>(`SELECT ${COLUMNS} FROM decisions WHERE ended_at IS NULL AND net && $1::inet ORDER BY id FOR UPDATE`, [
    cidr,
  ]);
  return r.rows.map(toDecision);
}

/** Every live decision on an address or range (locked), to check them against the allowlist at start. */
export async function listLiveNetDecisions(q: Queryable): Promise<Decision[]> {
  const r = await q.query<Row>(`SELECT ${COLUMNS} FROM decisions WHERE ended_at IS NULL AND net IS NOT NULL ORDER BY id FOR UPDATE`);
  return r.rows.map(toDecision);
}

export interface DecisionFilter {
  scope?: DecisionScope;
  value?: string;
  type?: string;
  incident_id?: string;
  origin?: string;
  /** `active`: live and unexpired; `ended`: lifted or expired; `all`. */
  state: 'active' | 'ended' | 'all';
  now: Date;
  /** Return decisions with id below this (cursor). */
  before?: string;
  /** Case-insensitive substring of the value or the reason (the dashboard's search). */
  search?: string;
  limit: number;
}

/** Newest first. Uses the live-id index for active lists, the value/incident indexes for those filters. */
export async function listDecisions(q: Queryable, f: DecisionFilter): Promise<Decision[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (f.state === 'active') add('ended_at IS NULL AND until > ?', f.now);
  else if (f.state === 'ended') add('(ended_at IS NOT NULL OR until <= ?)', f.now);
  if (f.scope) add('scope = ?', f.scope);
  if (f.value !== undefined) add('value = ?', f.value);
  if (f.type) add('type = ?', f.type);
  if (f.incident_id) add('incident_id = ?::bigint', f.incident_id);
  if (f.origin) add('origin = ?', f.origin);
  if (f.before) add('id < ?::bigint', f.before);
  if (f.search) add('(value ILIKE ? OR reason ILIKE ?)', `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  params.push(f.limit);
  const r = await q.query<Row>(
    `SELECT ${COLUMNS} FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toDecision);
}

/** `scope|value|type`: the key of the one-live-decision invariant. */
export function decisionKey(scope: string, value: string, type: string): string {
  return `${scope}|${value}|${type}`;
}

/** The live decisions of many keys, locked (one statement), by decisionKey. */
export async function findLiveDecisionsMany(
  q: Queryable,
  keys: readonly { scope: string; value: string; type: string }[],
): Promise<Map<string, Decision>> {
  const out = new Map<string, Decision>();
  if (keys.length === 0) return out;
  const r = await q.query<Row>(
    `SELECT ${COLUMNS} FROM decisions
      WHERE ended_at IS NULL AND (scope, value, type) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
      ORDER BY id FOR UPDATE`,
    [keys.map((k) => k.scope), keys.map((k) => k.value), keys.map((k) => k.type)],
  );
  for (const row of r.rows) {
    const d = toDecision(row);
    out.set(decisionKey(d.scope, d.value, d.type), d);
  }
  return out;
}

/**
 * Inserts many decisions in one statement and returns them (batched
 * detections). The caller holds lockDecisionChanges() and has checked that
 * no live decision exists for these keys.
 */
export async function insertDecisionsReturning(q: Queryable, rows: readonly NewDecision[]): Promise<Decision[]> {
  if (rows.length === 0) return [];
  const r = await q.query<Row>(
    `INSERT INTO decisions (scope, value, type, net, origin, reason, incident_id, action_id, created_at, created_by, until, new_seq)
     SELECT s, v, t, n::inet, o, re, i::bigint, a, c, cb, u, nextval('decision_changes')
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::timestamptz[])
         WITH ORDINALITY AS x(s, v, t, n, o, re, i, a, c, cb, u, ord)
      ORDER BY ord
     RETURNING ${COLUMNS}`,
    unnestColumns(rows),
  );
  return r.rows.map(toDecision);
}

/** Extends many decisions (one statement): each gets its new `until`, reason and change sequence. */
export async function extendDecisions(q: Queryable, rows: readonly { id: string; until: Date; reason: string }[]): Promise<Decision[]> {
  if (rows.length === 0) return [];
  const r = await q.query<Row>(
    `UPDATE decisions d SET until = x.u, reason = x.r, new_seq = nextval('decision_changes')
       FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS x(id, u, r)
      WHERE d.id = x.id RETURNING ${COLUMNS.split(', ')
        .map((c) => `d.${c}`)
        .join(', ')}`,
    [rows.map((x) => x.id), rows.map((x) => x.until), rows.map((x) => x.reason)],
  );
  return r.rows.map(toDecision);
}

/** Live decisions of scope `ip` and `type` made for an incident inside any of `cidrs` (range aggregation). */
export async function liveAddressesIn(q: Queryable, incidentId: string, type: string, cidrs: readonly string[]): Promise<string[]> {
  if (cidrs.length === 0) return [];
  const r = await q.query<{ value: string }>(
    // Each of the campaign's addresses is looked up by its /24 or /64 in a hash of the ranges,
    // not compared with every range (`net <<= ANY(...)`: members × ranges comparisons).
    `SELECT value FROM decisions
      WHERE incident_id = $1 AND scope = 'ip' AND type = $2 AND ended_at IS NULL
        AND masklen(net) = CASE WHEN family(net) = 4 THEN 32 ELSE 128 END
        AND network(set_masklen(net, CASE WHEN family(net) = 4 THEN 24 ELSE 64 END)) IN (SELECT unnest($3::cidr[]))`,
    [incidentId, type, cidrs],
  );
  return r.rows.map((x) => x.value);
}

/** Decisions an incident made on any of `values` (campaign members' addresses and accounts), newest first. */
export async function decisionsForValues(q: Queryable, incidentId: string, values: readonly string[]): Promise<Decision[]> {
  if (values.length === 0) return [];
  const r = await q.query<Row>(
    `SELECT ${COLUMNS} FROM decisions WHERE incident_id = $1 AND value = ANY($2::text[]) ORDER BY id DESC LIMIT 10000`,
    [incidentId, values],
  );
  return r.rows.map(toDecision);
}
