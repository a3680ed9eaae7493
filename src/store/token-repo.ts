/** API tokens: only their SHA-256 hashes are stored. */
import type { Queryable } from './db.ts';
import type { Role } from '../domain/roles.ts';
import { deleteTokenSessions } from './session-repo.ts';

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toRecord(r: Row): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.prefix,
    created_at: r.created_at.toISOString(),
    created_by: r.created_by,
    last_used_at: r.last_used_at ? r.last_used_at.toISOString() : null,
    revoked_at: r.revoked_at ? r.revoked_at.toISOString() : null,
  };
}

export async function insertToken(
  q: Queryable,
  t: { id: string; name: string; role: Role; hash: string; prefix: string; createdAt: Date; createdBy: string },
): Promise<TokenRecord | null> {
  const r = await q.query<Row>(
    `INSERT INTO tokens (id, name, role, hash, prefix, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (hash) DO NOTHING RETURNING *`,
    [t.id, t.name, t.role, t.hash, t.prefix, t.createdAt, t.createdBy],
  );
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function findTokenByHash(q: Queryable, hash: string): Promise<TokenRecord | null> {
  const r = await q.query<Row>(`SELECT * FROM tokens WHERE hash = $1`, [hash]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function getToken(q: Queryable, id: string): Promise<TokenRecord | null> {
  const r = await q.query<Row>(`SELECT * FROM tokens WHERE id = $1`, [id]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function listTokens(q: Queryable, includeRevoked: boolean): Promise<TokenRecord[]> {
  const r = await q.query<Row>(`SELECT * FROM tokens ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`);
  return r.rows.map(toRecord);
}

/** Revokes the token and ends its dashboard sessions (for every instance: they live in the database). */
export async function revokeToken(q: Queryable, id: string, at: Date): Promise<TokenRecord | null> {
  const r = await q.query<Row>(`UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *`, [id, at]);
  if (r.rows[0]) await deleteTokenSessions(q, id);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function countActiveAdmins(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM tokens WHERE role = 'admin' AND revoked_at IS NULL`);
  return r.rows[0]?.n ?? 0;
}

export async function touchToken(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query(`UPDATE tokens SET last_used_at = $2 WHERE id = $1`, [id, at]);
}

/** Sets the shown prefix of the token with this hash (a chosen admin token registered before prefixes were hash-derived). */
export async function fixChosenTokenPrefix(q: Queryable, hash: string, prefix: string): Promise<void> {
  await q.query(`UPDATE tokens SET prefix = $2 WHERE hash = $1 AND prefix <> $2`, [hash, prefix]);
}
