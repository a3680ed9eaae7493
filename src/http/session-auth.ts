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
 * - Sessions live in PostgreSQL (service/access/sessions.ts), id stored only
 *   hashed: any instance of a cluster accepts them (no sticky sessions), a
 *   restart keeps them, sign-out and token revocation end them everywhere at
 *   the next request (the lookup refuses a session whose token is revoked).
 * - One token holds at most MAX_SESSIONS_PER_TOKEN sessions; signing in once
 *   more ends that token's oldest session, never another token's.
 * - The cookie is `Secure` when the request came over TLS (directly, or through
 *   a proxy listed in `server.trust_proxy` that says so in X-Forwarded-Proto),
 *   or always / never with `server.secure_cookies: true / false`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Actor } from '../service/core/context.ts';
import type { Session, SessionStore } from '../service/access/sessions.ts';
import type { ActorResolver } from './auth.ts';

export {
  createSessionStore,
  MAX_SESSIONS_PER_TOKEN,
  SESSION_IDLE_MS,
  type Session,
  type SessionStore,
  type SessionStoreOptions,
} from '../service/access/sessions.ts';

export const SESSION_COOKIE = 'fb_session';
/** Readable by scripts, holds no secret: tells the dashboard a session may exist, so it asks only then. */
export const SESSION_HINT_COOKIE = 'fb_signed_in';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
export async function resolveSession(sessions: SessionStore, req: FastifyRequest): Promise<Session | null> {
  const id = readCookie(req, SESSION_COOKIE);
  if (!id) return null;
  // The store refuses a session whose token is revoked (no cache: see service/access/sessions.ts).
  const s = await sessions.touch(id);
  if (!s) return null;
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
export function sessionActor(sessions: SessionStore): ActorResolver {
  return async (req) => {
    const s = await resolveSession(sessions, req);
    return s ? sessionToActor(s, req) : null;
  };
}
