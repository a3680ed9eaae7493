/**
 * CrowdSec Local API, bouncer side, so real CrowdSec bouncers (firewall,
 * nginx, custom) and the Node middleware enforce Firebreak's decisions:
 *   GET /v1/decisions          (ip, range, scope, value, type, contains, origins, scenarios_*)
 *   GET /v1/decisions/stream   (startup, scopes, origins, scenarios_*)
 * Authenticated by `X-Api-Key: <token>` with the `bouncer` role (401 without
 * a valid token, 403 for a role that may not read decisions). HEAD answers
 * 200 without reading or moving the bouncer's cursor, as CrowdSec does.
 * Errors carry Firebreak's error shape plus CrowdSec's top-level `message`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import type { Actor, Deps } from '../../service/core/context.ts';
import { authenticateBearer } from '../auth.ts';
import { authorize } from '../../service/access/authorize.ts';
import { pullDecisionStream } from '../../service/response/bouncer-stream.ts';
import { queryBouncerDecisions } from '../../service/response/bouncer-query.ts';
import { HTTP_STATUS, normalizeHttpError } from '../error-map.ts';
import type { HttpContext } from '../http-context.ts';
import type { FailureLimits } from '../../domain/auth-limits.ts';

async function bouncerActor(deps: Deps, req: FastifyRequest, limits: FailureLimits): Promise<Actor> {
  const key = req.headers['x-api-key'];
  if (typeof key !== 'string' || key.trim() === '') throw new AppError('unauthorized', 'missing API key: send X-Api-Key: <bouncer token>');
  const actor = await authenticateBearer(deps, key.trim(), req.ip, limits.bearer);
  authorize(actor, 'bouncer:read');
  return actor;
}

function fail(ctx: HttpContext, reply: FastifyReply, err: unknown): FastifyReply {
  const e = normalizeHttpError(err);
  if (e.code === 'internal') ctx.deps.logger.error({ err: e.cause ?? e }, 'bouncer API error');
  const message = e.code === 'internal' ? 'internal error; see the server log' : e.message;
  const body = { message, error: { code: e.code, message, ...(e.details?.length ? { details: e.details } : {}) } };
  return reply.code(HTTP_STATUS[e.code]).type('application/json').send(body);
}

export function bouncerRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const deps = ctx.deps;
  const handle = (fn: (actor: Actor, req: FastifyRequest) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const actor = await bouncerActor(deps, req, ctx.limits);
      if (req.method === 'HEAD') return reply.code(200).send();
      // `null` must go out as JSON null (CrowdSec's answer when nothing matches).
      return reply
        .code(200)
        .type('application/json')
        .send(JSON.stringify(await fn(actor, req)));
    } catch (err) {
      return fail(ctx, reply, err);
    }
  };
  app.get(
    '/v1/decisions',
    handle((actor, req) => queryBouncerDecisions(deps, actor, req.query)),
  );
  app.get(
    '/v1/decisions/stream',
    handle((actor, req) => pullDecisionStream(deps, actor, req.query, req.headers['user-agent'])),
  );
}
