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
 * - A session is bound to its token: every use checks that the token is still
 *   live (cached like bearer tokens, src/service/access/tokens.ts), so a
 *   revocation through this server ends its sessions at the next request, one
 *   written by another process within 5 seconds.
 * - One token holds at most MAX_SESSIONS_PER_TOKEN sessions; signing in once
 *   more ends that token's oldest session, never another token's.
 * - The cookie is `Secure` when the request came over TLS (directly, or through
 *   a proxy listed in `server.trust_proxy` that says so in X-Forwarded-Proto),
 *   or always / never with `server.secure_cookies: true / false`.
 * - Sessions live in memory: a restart signs everyone out; several instances
 *   behind a load balancer need sticky sessions.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Role } from '../domain/roles.ts';
import type { Actor, Deps } from '../service/core/context.ts';
import { isTokenActive } from '../service/access/tokens.ts';
import type { ActorResolver } from './auth.ts';

export const SESSION_COOKIE = 'fb_session';
/** Readable by scripts, holds no secret: tells the dashboard a session may exist, so it asks only then. */
export const SESSION_HINT_COOKIE = 'fb_signed_in';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_IDLE_MS = 12 * 3_600_000;
export const MAX_SESSIONS_PER_TOKEN = 20;
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
  /** Oldest sessions are dropped beyond this many (a last resort: the per-token cap comes first). */
  maxSessions?: number;
  /** A token's oldest session is dropped when it signs in beyond this many. */
  maxPerToken?: number;
}

/** An in-memory session store (one per process; see the module comment). */
export function createSessionStore(opts: SessionStoreOptions = {}): SessionStore {
  const clock = opts.clock ?? (() => new Date());
  const idleMs = opts.idleMs ?? SESSION_IDLE_MS;
  const max = opts.maxSessions ?? 10_000;
  const perToken = opts.maxPerToken ?? MAX_SESSIONS_PER_TOKEN;
  const sessions = new Map<string, Session>();
  /** Token id → its session ids, oldest first (Set order is insertion order). */
  const byToken = new Map<string, Set<string>>();

  const remove = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    const ids = byToken.get(s.tokenId);
    ids?.delete(id);
    if (ids && ids.size === 0) byToken.delete(s.tokenId);
  };
  const prune = (now: number, tokenId: string) => {
    for (const [id, s] of sessions) if (s.expiresAtMs <= now) remove(id);
    // This token's oldest sessions make room for its new one.
    const own = byToken.get(tokenId);
    if (own) for (const id of [...own].slice(0, Math.max(0, own.size - perToken + 1))) remove(id);
    // Map iteration is insertion order, so the first keys are the oldest sessions.
    for (const id of sessions.keys()) {
      if (sessions.size < max) break;
      remove(id);
    }
  };

  return {
    create({ tokenId, role, name }) {
      const now = clock().getTime();
      prune(now, tokenId);
      const s: Session = {
        id: randomBytes(32).toString('base64url'),
        tokenId,
        role,
        name,
        csrf: randomBytes(32).toString('base64url'),
        createdAtMs: now,
        expiresAtMs: now + idleMs,
      };
      sessions.set(s.id, s);
      let ids = byToken.get(tokenId);
      if (!ids) byToken.set(tokenId, (ids = new Set()));
      ids.add(s.id);
      return s;
    },
    touch(id) {
      const s = sessions.get(id);
      if (!s) return null;
      const now = clock().getTime();
      if (s.expiresAtMs <= now) {
        remove(id);
        return null;
      }
      s.expiresAtMs = now + idleMs;
      return s;
    },
    delete: remove,
    deleteByToken(tokenId) {
      for (const id of [...(byToken.get(tokenId) ?? [])]) remove(id);
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

/** `server.secure_cookies`: `auto` follows the request's protocol (Fastify reads X-Forwarded-Proto only from trusted proxies). */
export type SecureCookies = boolean | 'auto';

function cookieAttrs(req: FastifyRequest, httpOnly: boolean, secure: SecureCookies): string {
  const isSecure = secure === 'auto' ? req.protocol === 'https' : secure;
  return `; Path=/; SameSite=Strict${httpOnly ? '; HttpOnly' : ''}${isSecure ? '; Secure' : ''}`;
}

/** Sets the session cookie (httpOnly) and the readable hint cookie. Both end with the browser session. */
export function setSessionCookies(req: FastifyRequest, reply: FastifyReply, sessionId: string, secure: SecureCookies = 'auto'): void {
  reply.header('set-cookie', [
    `${SESSION_COOKIE}=${sessionId}${cookieAttrs(req, true, secure)}`,
    `${SESSION_HINT_COOKIE}=1${cookieAttrs(req, false, secure)}`,
  ]);
}

export function clearSessionCookies(req: FastifyRequest, reply: FastifyReply, secure: SecureCookies = 'auto'): void {
  const gone = '; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  reply.header('set-cookie', [
    `${SESSION_COOKIE}=${gone}${cookieAttrs(req, true, secure)}`,
    `${SESSION_HINT_COOKIE}=${gone}${cookieAttrs(req, false, secure)}`,
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
  if (!(await isTokenActive(deps, s.tokenId))) {
    sessions.deleteByToken(s.tokenId);
    return null;
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
