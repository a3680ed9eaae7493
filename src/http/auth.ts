/**
 * Authentication and role checks for routes. Every route declares the
 * permission it needs; the actor is resolved from `Authorization: Bearer`.
 *
 * Failed bearer authentications are limited per client address:
 * BEARER_MAX_FAILURES within BEARER_WINDOW_MS, then every bearer request from
 * that address is answered 429 with Retry-After (the token is not even looked
 * at) until the oldest failure leaves the window.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Permission } from '../domain/roles.ts';
import type { Actor, Deps } from '../service/core/context.ts';
import { authenticate } from '../service/access/tokens.ts';
import { authorize } from '../service/access/authorize.ts';
import { BEARER_MAX_FAILURES, BEARER_WINDOW_MS, memoryFailureCounter, type FailureCounter } from '../domain/auth-limits.ts';

export { BEARER_MAX_FAILURES, BEARER_WINDOW_MS } from '../domain/auth-limits.ts';

/** The in-memory counter of an application (its Deps) built without the context's (route tests). */
const fallbackCounters = new WeakMap<object, FailureCounter>();
function defaultCounter(deps: Deps): FailureCounter {
  let l = fallbackCounters.get(deps);
  if (!l) fallbackCounters.set(deps, (l = memoryFailureCounter(BEARER_MAX_FAILURES, BEARER_WINDOW_MS)));
  return l;
}

/**
 * Authenticates a bearer token, counting failures per address on `limiter`
 * (the context's: in Redis in cluster mode); throws rate_limited while the
 * address is over the limit.
 */
export async function authenticateBearer(deps: Deps, token: string, ip: string, limiter = defaultCounter(deps)): Promise<Actor> {
  const blocked = await limiter.blockedForMs(ip, deps.clock().getTime());
  if (blocked > 0) {
    throw new AppError('rate_limited', `too many failed authentications from this address; try again in ${Math.ceil(blocked / 1000)} s`, {
      retryAfter: Math.max(1, blocked / 1000),
    });
  }
  try {
    return await authenticate(deps, token, ip);
  } catch (err) {
    if (err instanceof AppError && err.code === 'unauthorized') {
      await limiter.record(ip, deps.clock().getTime());
      if ((await limiter.blockedForMs(ip, deps.clock().getTime())) > 0)
        deps.logger.warn({ ip }, 'bearer authentication limited: too many failures');
    }
    throw err;
  }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

export type ActorResolver = (req: FastifyRequest) => Promise<Actor | null>;

/** Resolves the caller and checks the permission; throws 401/403 as AppError. */
export async function requireActor(
  deps: Deps,
  req: FastifyRequest,
  permission: Permission,
  extra?: ActorResolver,
  limiter?: FailureCounter,
): Promise<Actor> {
  let actor: Actor | null = null;
  const token = bearerToken(req);
  if (token) actor = await authenticateBearer(deps, token, req.ip, limiter);
  else if (extra) actor = await extra(req);
  if (!actor) throw new AppError('unauthorized', 'missing token: send Authorization: Bearer <token>');
  authorize(actor, permission);
  return actor;
}
