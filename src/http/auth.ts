/**
 * Authentication and role checks for routes. Every route declares the
 * permission it needs; the actor is resolved from `Authorization: Bearer`.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Permission } from '../domain/roles.ts';
import type { Actor, Deps } from '../service/core/context.ts';
import { authenticate } from '../service/access/tokens.ts';
import { authorize } from '../service/access/authorize.ts';

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

export type ActorResolver = (req: FastifyRequest) => Promise<Actor | null>;

/** Resolves the caller and checks the permission; throws 401/403 as AppError. */
export async function requireActor(deps: Deps, req: FastifyRequest, permission: Permission, extra?: ActorResolver): Promise<Actor> {
  let actor: Actor | null = null;
  const token = bearerToken(req);
  if (token) actor = await authenticate(deps, token, req.ip);
  else if (extra) actor = await extra(req);
  if (!actor) throw new AppError('unauthorized', 'missing token: send Authorization: Bearer <token>');
  authorize(actor, permission);
  return actor;
}
