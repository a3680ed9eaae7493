/** Used ack-link nonces: the primary key is what makes a link single-use. */
import type { Queryable } from './db.ts';

/** Records the nonce as used; false when it already was (the link was used before). */
export async function useAckNonce(
  q: Queryable,
  n: { nonce: string; incidentId: string; usedAt: Date; expiresAt: Date; usedBy: string },
): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO ack_nonces (nonce, incident_id, used_at, expires_at, used_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
    [n.nonce, n.incidentId, n.usedAt, n.expiresAt, n.usedBy],
  );
  return r.rows.length > 0;
}

export async function findUsedAckNonce(q: Queryable, nonce: string): Promise<{ used_at: string; used_by: string } | null> {
  const r = await q.query<{ used_at: Date; used_by: string }>(`SELECT used_at, used_by FROM ack_nonces WHERE nonce = $1`, [nonce]);
  return r.rows[0] ? { used_at: r.rows[0].used_at.toISOString(), used_by: r.rows[0].used_by } : null;
}

/** Drops nonces of links that expired before `before` (they are refused by their expiry anyway). */
export async function purgeAckNonces(q: Queryable, before: Date): Promise<number> {
  const r = await q.query(`DELETE FROM ack_nonces WHERE expires_at < $1 RETURNING nonce`, [before]);
  return r.rows.length;
}
