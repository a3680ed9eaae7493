/**
 * Dashboard sessions in PostgreSQL (store/session-repo.ts), so every instance
 * of a cluster accepts a session made on another, sign-out and revocation end
 * it everywhere, and a restart signs nobody out.
 *
 * - The browser holds a random 256-bit id; the database holds only its
 *   SHA-256 hash (like API tokens: with that much entropy a slow hash adds
 *   nothing).
 * - A session is bound to its token: the lookup joins the token and refuses a
 *   revoked one, and revoking deletes the token's sessions.
 * - Idle expiry slides on use. The expiry is written only when it would move
 *   by more than EXTEND_STEP_MS, so a dashboard polling every 2 s does not
 *   write a row per request; the idle timeout is exact to that step.
 * - No in-process cache: every request looks the session up by primary key.
 *   A cache would let a signed-out or revoked session live on other instances
 *   until it expired, and the lookup is one indexed read.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../domain/roles.ts';
import type { Deps } from '../core/context.ts';
import {
  countSessions,
  deleteSession,
  deleteTokenSessions,
  extendSession,
  findLiveSession,
  insertSession,
} from '../../store/session-repo.ts';

export const SESSION_IDLE_MS = 12 * 3_600_000;
export const MAX_SESSIONS_PER_TOKEN = 20;
const EXTEND_STEP_MS = 60_000;

export interface Session {
  id: string;
  /** The API token's id (as in GET /api/v1/tokens), never its secret. */
  tokenId: string;
  role: Role;
  name: string;
  csrf: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface SessionStore {
  create(input: { tokenId: string; role: Role; name: string }): Promise<Session>;
  /** The live session for this id (sliding its expiry), or null when unknown, expired or its token is revoked. */
  touch(id: string): Promise<Session | null>;
  delete(id: string): Promise<void>;
  /** Ends every session made from this token. */
  deleteByToken(tokenId: string): Promise<void>;
  /** Live sessions (of one token when given). */
  size(tokenId?: string): Promise<number>;
}

export interface SessionStoreOptions {
  idleMs?: number;
  /** A token's oldest session is dropped when it signs in beyond this many. */
  maxPerToken?: number;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export function createSessionStore(deps: Pick<Deps, 'db' | 'clock'>, opts: SessionStoreOptions = {}): SessionStore {
  const idleMs = opts.idleMs ?? SESSION_IDLE_MS;
  const perToken = opts.maxPerToken ?? MAX_SESSIONS_PER_TOKEN;
  return {
    async create({ tokenId, role, name }) {
      const now = deps.clock();
      const s: Session = {
        id: randomBytes(32).toString('base64url'),
        tokenId,
        role,
        name,
        csrf: randomBytes(32).toString('base64url'),
        createdAtMs: now.getTime(),
        expiresAtMs: now.getTime() + idleMs,
      };
      await deps.db.tx((q) =>
        insertSession(
          q,
          hashSessionId(s.id),
          { tokenId, role, name, csrf: s.csrf, createdAt: now, expiresAt: new Date(s.expiresAtMs) },
          now,
          perToken,
        ),
      );
      return s;
    },
    async touch(id) {
      const now = deps.clock();
      const hash = hashSessionId(id);
      const row = await findLiveSession(deps.db, hash, now);
      if (!row) return null;
      let expiresAtMs = row.expiresAt.getTime();
      if (now.getTime() + idleMs - expiresAtMs > EXTEND_STEP_MS) {
        expiresAtMs = now.getTime() + idleMs;
        await extendSession(deps.db, hash, new Date(expiresAtMs));
      }
      return {
        id,
        tokenId: row.tokenId,
        role: row.role,
        name: row.name,
        csrf: row.csrf,
        createdAtMs: row.createdAt.getTime(),
        expiresAtMs,
      };
    },
    delete: (id) => deleteSession(deps.db, hashSessionId(id)),
    deleteByToken: (tokenId) => deleteTokenSessions(deps.db, tokenId),
    size: (tokenId) => countSessions(deps.db, deps.clock(), tokenId),
  };
}
