/**
 * Dashboard sessions: a browser signs in once with an API token and then
 * carries only an opaque, random session id in an httpOnly cookie. The API
 * token itself never leaves the server side after sign-in.
 *
 * Invariants:
 * - A session holds the token id, role and name it was made from, a CSRF
 *   token, and an idle expiry (12 h, sliding: every authenticated use extends it).
 * - Every request that is not GET/HEAD/OPTIONS must send `X-CSRF-Token` equal to
 *   the session's CSRF token (SameSite=Strict already stops cross-site sends;
 *   the header is the second lock).
 * - Revoking the token ends its sessions: the token is looked up again at most
 *   every TOKEN_RECHECK_MS while the session is in use.
 * - Sessions live in memory: a restart signs everyone out; several instances
 *   behind a load balancer need sticky sessions.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Role } from '../domain/roles.ts';
import { SYSTEM, type Actor, type Deps } from '../service/core/context.ts';
import { listTokens } from '../service/access/tokens.ts';
import type { ActorResolver } from './auth.ts';

export const SESSION_COOKIE = 'fb_session';
/** Readable by scripts, holds no secret: tells the dashboard a session may exist, so it asks only then. */
export const SESSION_HINT_COOKIE = 'fb_signed_in';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_IDLE_MS = 12 * 3_600_000;
const TOKEN_RECHECK_MS = 30_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Session {
  id: string;
  /** The API token's id (as in GET /api/v1/tokens), never its secret. */
  tokenId: string;
  role: Role;
  name: string;
  csrf: string;
  createdAtMs: number;
  expiresAtMs: number;
  /** When the token was last confirmed not revoked. */
  checkedAtMs: number;
}

export interface SessionStore {
  create(input: { tokenId: string; role: Role; name: string }): Session;
  /** The live session for this id (sliding its expiry), or null when unknown or expired. */
  touch(id: string): Session | null;
  delete(id: string): void;
  /** Ends every session made from this token. */
  deleteByToken(tokenId: string): void;
  size(): number;
}

export interface SessionStoreOptions {
  clock?: () => Date;
  idleMs?: number;
  /** Oldest sessions are dropped beyond this many. */
  maxSessions?: number;
}

/** An in-memory session store (one per process; see the module comment). */
export function createSessionStore(opts: SessionStoreOptions = {}): SessionStore {
  const clock = opts.clock ?? (() => new Date());
  const idleMs = opts.idleMs ?? SESSION_IDLE_MS;
  const max = opts.maxSessions ?? 10_000;
  const sessions = new Map<string, Session>();

  const prune = (now: number) => {
    for (const [id, s] of sessions) if (s.expiresAtMs <= now) sessions.delete(id);
    // Map iteration is insertion order, so the first keys are the oldest sessions.
    for (const id of sessions.keys()) {
      if (sessions.size < max) break;
      sessions.delete(id);
    }
  };

  return {
    create({ tokenId, role, name }) {
      const now = clock().getTime();
      prune(now);
      const s: Session = {
        id: randomBytes(32).toString('base64url'),
        tokenId,
        role,
        name,
        csrf: randomBytes(32).toString('base64url'),
        createdAtMs: now,
        expiresAtMs: now + idleMs,
        checkedAtMs: now,
      };
      sessions.set(s.id, s);
      return s;
    },
    touch(id) {
      const s = sessions.get(id);
      if (!s) return null;
      const now = clock().getTime();
      if (s.expiresAtMs <= now) {
        sessions.delete(id);
        return null;
      }
      s.expiresAtMs = now + idleMs;
      return s;
    },
    delete(id) {
      sessions.delete(id);
    },
    deleteByToken(tokenId) {
      for (const [id, s] of sessions) if (s.tokenId === tokenId) sessions.delete(id);
    },
    size: () => sessions.size,
  };
}

/** The value of one cookie from the Cookie header (first occurrence), or undefined. */
export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function cookieAttrs(req: FastifyRequest, httpOnly: boolean): string {
  return `; Path=/; SameSite=Strict${httpOnly ? '; HttpOnly' : ''}${req.protocol === 'https' ? '; Secure' : ''}`;
}

/** Sets the session cookie (httpOnly) and the readable hint cookie. Both end with the browser session. */
export function setSessionCookies(req: FastifyRequest, reply: FastifyReply, sessionId: string): void {
  reply.header('set-cookie', [
    `${SESSION_COOKIE}=${sessionId}${cookieAttrs(req, true)}`,
    `${SESSION_HINT_COOKIE}=1${cookieAttrs(req, false)}`,
  ]);
}

export function clearSessionCookies(req: FastifyRequest, reply: FastifyReply): void {
  const gone = '; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  reply.header('set-cookie', [
    `${SESSION_COOKIE}=${gone}${cookieAttrs(req, true)}`,
    `${SESSION_HINT_COOKIE}=${gone}${cookieAttrs(req, false)}`,
  ]);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The session named by the request's cookie, or null. Throws forbidden when the
 * method changes something and the CSRF header is missing or wrong.
 */
export async function resolveSession(deps: Deps, sessions: SessionStore, req: FastifyRequest): Promise<Session | null> {
  const id = readCookie(req, SESSION_COOKIE);
  if (!id) return null;
  const s = sessions.touch(id);
  if (!s) return null;
  const now = deps.clock().getTime();
  if (now - s.checkedAtMs > TOKEN_RECHECK_MS) {
    const tokens = await listTokens(deps, SYSTEM, true);
    const t = tokens.find((x) => x.id === s.tokenId);
    if (!t || t.revoked_at) {
      sessions.deleteByToken(s.tokenId);
      return null;
    }
    s.checkedAtMs = now;
  }
  if (!SAFE_METHODS.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(sent, s.csrf)) {
      throw new AppError('forbidden', 'missing or wrong CSRF token: send the X-CSRF-Token header from GET /api/v1/session');
    }
  }
  return s;
}

export function sessionToActor(s: Session, req: FastifyRequest): Actor {
  return { id: `token:${s.tokenId}`, name: s.name, role: s.role, ip: req.ip };
}

/** For requireActor(): resolves the `fb_session` cookie to the actor of the token it was made from. */
export function sessionActor(deps: Deps, sessions: SessionStore): ActorResolver {
  return async (req) => {
    const s = await resolveSession(deps, sessions, req);
    return s ? sessionToActor(s, req) : null;
  };
}
