/**
 * Dashboard sign-in: `POST /api/v1/session {"token"}` exchanges an API token
 * for a session cookie (see ../session-auth.ts), `GET` tells the dashboard who
 * it is, its CSRF token, what its role may do and which optional API endpoints
 * this server has, and `DELETE` signs out.
 *
 * Failed sign-ins are limited twice within LOGIN_WINDOW_MS, then 429 with
 * Retry-After until the oldest failure leaves the window:
 * - per token prefix (its first TOKEN_PREFIX_CHARS characters): LOGIN_MAX_FAILURES,
 *   so one person mistyping their token is slowed without touching others;
 * - per client address: LOGIN_MAX_FAILURES_PER_ADDRESS, higher, so the users
 *   behind one shared proxy are not locked out by one of them, while a guesser
 *   who varies the token is still stopped.
 * In cluster mode both are counted in Redis, once for all instances; while
 * Redis is unreachable sign-ins answer 503 with Retry-After (fail closed).
 * The client address is the socket's peer, or the X-Forwarded-For client when
 * the peer is a proxy listed in `server.trust_proxy` (Fastify's trustProxy).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { can, ROLES, type Permission, type Role } from '../../domain/roles.ts';
import type { FailureLimits } from '../../domain/auth-limits.ts';
import { authenticate } from '../../service/access/tokens.ts';
import { parseInput } from '../../service/core/validate.ts';
import type { HttpContext } from '../http-context.ts';
import { clearSessionCookies, readCookie, resolveSession, SESSION_COOKIE, setSessionCookies, type Session } from '../session-auth.ts';

export { LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS, LOGIN_WINDOW_MS } from '../../domain/auth-limits.ts';
/** As many characters as the token list shows (`fbk_` and six more). */
export const TOKEN_PREFIX_CHARS = 10;

const PERMISSIONS: readonly Permission[] = ['read', 'incidents:write', 'decisions:write', 'events:write', 'admin'];

/**
 * Optional endpoints the dashboard uses when the server has them. The
 * dashboard asks only for what is listed as present, so it never makes a
 * request that would answer 404 (the browser logs those as errors).
 */
export const DASHBOARD_FEATURES: Readonly<Record<string, readonly [method: string, url: string]>> = {
  decisions: ['GET', '/api/v1/decisions'],
  decision_lift: ['DELETE', '/api/v1/decisions/0'],
  allowlist: ['GET', '/api/v1/allowlist'],
  allowlist_add: ['POST', '/api/v1/allowlist'],
  allowlist_remove: ['DELETE', '/api/v1/allowlist/0'],
  step_complete: ['POST', '/api/v1/incidents/0/steps/s/complete'],
  step_approve: ['POST', '/api/v1/incidents/0/steps/s/approve'],
  step_retry: ['POST', '/api/v1/incidents/0/steps/s/retry'],
  step_skip: ['POST', '/api/v1/incidents/0/steps/s/skip'],
  incident_escalation: ['GET', '/api/v1/incidents/0/escalation'],
  timeseries: ['GET', '/api/v1/stats/timeseries'],
  schedules: ['GET', '/api/v1/schedules'],
  escalation_policies: ['GET', '/api/v1/escalation-policies'],
};

const loginBody = z.object({ token: z.string().trim().min(1, 'paste an API token').max(1000) }).strict();

export interface SessionView {
  role: Role;
  name: string;
  csrf_token: string;
  /** What this role may do (src/domain/roles.ts), so the dashboard shows only allowed actions. */
  permissions: Permission[];
  /** Which optional endpoints exist on this server. */
  features: Record<string, boolean>;
}

/** True when a real route (not a wildcard such as the dashboard's SPA fallback) answers this method and URL. */
function hasApiRoute(app: FastifyInstance, method: string, url: string): boolean {
  const r = app.findRoute({ method: method as 'GET', url });
  return r !== null && !(r.params && '*' in (r.params as Record<string, unknown>));
}

/** The sign-in limits on the counters of the context: in memory, or in Redis in cluster mode (shared by every instance). */
function createLoginLimiter(clock: () => Date, limits: FailureLimits) {
  const byPrefix = limits.signInByPrefix;
  const byAddress = limits.signInByAddress;
  const refuse = (what: string, ms: number) =>
    new AppError('rate_limited', `too many failed sign-ins ${what}; try again in ${Math.ceil(ms / 1000)} s`, {
      retryAfter: Math.max(1, ms / 1000),
    });
  return {
    /** Throws rate_limited when this address, or this token prefix, failed too often lately. */
    async check(ip: string, token: string): Promise<void> {
      const now = clock().getTime();
      const a = await byAddress.blockedForMs(ip, now);
      if (a > 0) throw refuse('from this address', a);
      const p = await byPrefix.blockedForMs(token.slice(0, TOKEN_PREFIX_CHARS), now);
      if (p > 0) throw refuse('with this token', p);
    },
    async fail(ip: string, token: string): Promise<void> {
      const now = clock().getTime();
      await Promise.all([byAddress.record(ip, now), byPrefix.record(token.slice(0, TOKEN_PREFIX_CHARS), now)]);
    },
  };
}

/** The session routes, on the session store of the context (`ctx.sessions`). */
export function sessionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const sessions = ctx.sessions;
  const limiter = createLoginLimiter(ctx.deps.clock, ctx.limits);
  const secure = ctx.deps.config.server.secure_cookies;

  const view = (s: Session): SessionView => ({
    role: s.role,
    name: s.name,
    csrf_token: s.csrf,
    permissions: PERMISSIONS.filter((p) => can(s.role, p)),
    features: Object.fromEntries(Object.entries(DASHBOARD_FEATURES).map(([k, [m, u]]) => [k, hasApiRoute(app, m, u)])),
  });
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post('/api/v1/session', async (req: FastifyRequest, reply) => {
    noStore(reply);
    const { token } = parseInput(loginBody, req.body);
    await limiter.check(req.ip, token);
    let actor;
    try {
      actor = await authenticate(ctx.deps, token, req.ip);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') {
        ctx.deps.logger.warn({ ip: req.ip }, 'dashboard sign-in refused: invalid or revoked token');
        await limiter.fail(req.ip, token); // Redis unreachable in cluster mode: 503 rather than an uncounted failure
      }
      throw err;
    }
    const role = actor.role as Role;
    if (!(ROLES as readonly string[]).includes(role) || !can(role, 'read')) {
      throw new AppError(
        'forbidden',
        `a ${role} token cannot use the dashboard (it needs a role that may read: admin, responder or viewer)`,
      );
    }
    const old = readCookie(req, SESSION_COOKIE);
    if (old) await sessions.delete(old); // no session fixation: always a fresh id
    const s = await sessions.create({ tokenId: actor.id.replace(/^token:/, ''), role, name: actor.name });
    ctx.deps.logger.info({ token_id: s.tokenId, role, ip: req.ip }, 'dashboard sign-in');
    setSessionCookies(req, reply, s.id, secure);
    return view(s);
  });

  app.get('/api/v1/session', async (req, reply) => {
    noStore(reply);
    const s = await resolveSession(sessions, req);
    if (!s) {
      clearSessionCookies(req, reply, secure);
      throw new AppError('unauthorized', 'not signed in: POST /api/v1/session {"token": "..."} first');
    }
    return view(s);
  });

  app.delete('/api/v1/session', async (req, reply) => {
    noStore(reply);
    const s = await resolveSession(sessions, req); // checks the CSRF header
    if (s) {
      await sessions.delete(s.id);
      ctx.deps.logger.info({ token_id: s.tokenId, ip: req.ip }, 'dashboard sign-out');
    }
    clearSessionCookies(req, reply, secure);
    return reply.code(204).send();
  });
}
