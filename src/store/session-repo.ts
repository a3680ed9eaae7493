/**
 * Dashboard sessions (migration 016): only the SHA-256 hash of a session id is
 * stored. Times come from the caller (the application clock), never now(), so
 * every instance and the tests' clocks agree on expiry.
 */
import type { Queryable } from './db.ts';
import type { Role } from '../domain/roles.ts';

export interface SessionRow {
  tokenId: string;
  role: Role;
  name: string;
  csrf: string;
  createdAt: Date;
  expiresAt: Date;
}

interface Row {
  token_id: string;
  role: Role;
  name: string;
  csrf: string;
  created_at: Date;
  expires_at: Date;
}

const toSession = (r: Row): SessionRow => ({
  tokenId: r.token_id,
  role: r.role,
  name: r.name,
  csrf: r.csrf,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/**
 * Inserts a session and, in the same transaction, drops expired sessions and
 * this token's oldest beyond `maxPerToken` (never another token's).
 */
export async function insertSession(q: Queryable, idHash: string, s: SessionRow, now: Date, maxPerToken: number): Promise<void> {
  await q.query(`DELETE FROM dashboard_sessions WHERE expires_at <= $1`, [now]);
  await q.query(
    `INSERT INTO dashboard_sessions (id_hash, token_id, role, name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [idHash, s.tokenId, s.role, s.name, s.csrf, s.createdAt, s.expiresAt],
  );
  await q.query(
    `DELETE FROM dashboard_sessions WHERE token_id = $1 AND seq NOT IN
       (SELECT seq FROM dashboard_sessions WHERE token_id = $1 ORDER BY seq DESC LIMIT $2)`,
    [s.tokenId, maxPerToken],
  );
}

/** The live session with this id hash whose token is not revoked, or null. */
export async function findLiveSession(q: Queryable, idHash: string, now: Date): Promise<SessionRow | null> {
  const r = await q.query<Row>(
    `SELECT s.token_id, s.role, s.name, s.csrf, s.created_at, s.expires_at
       FROM dashboard_sessions s JOIN tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
      WHERE s.id_hash = $1 AND s.expires_at > $2`,
    [idHash, now],
  );
  return r.rows[0] ? toSession(r.rows[0]) : null;
}

/** Slides the expiry forward (never back: two instances touching at once keep the later one). */
export async function extendSession(q: Queryable, idHash: string, expiresAt: Date): Promise<void> {
  await q.query(`UPDATE dashboard_sessions SET expires_at = $2 WHERE id_hash = $1 AND expires_at < $2`, [idHash, expiresAt]);
}

export async function deleteSession(q: Queryable, idHash: string): Promise<void> {
  await q.query(`DELETE FROM dashboard_sessions WHERE id_hash = $1`, [idHash]);
}

export async function deleteTokenSessions(q: Queryable, tokenId: string): Promise<void> {
  await q.query(`DELETE FROM dashboard_sessions WHERE token_id = $1`, [tokenId]);
}

/** Live (unexpired) sessions; of one token when given. */
export async function countSessions(q: Queryable, now: Date, tokenId?: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM dashboard_sessions WHERE expires_at > $1 ${tokenId === undefined ? '' : 'AND token_id = $2'}`,
    tokenId === undefined ? [now] : [now, tokenId],
  );
  return r.rows[0]?.n ?? 0;
}
