/**
 * Decisions API: GET (viewer), POST and DELETE (responder/admin,
 * `decisions:write`). Lists are `{items, next_cursor}`.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { createDecision } from '../../service/response/create-decision.ts';
import { deleteDecision } from '../../service/response/delete-decision.ts';
import { deleteDecisions } from '../../service/response/delete-decisions.ts';
import { decisionView, getDecision, listDecisions } from '../../service/response/query-decisions.ts';

type IdParams = { Params: { id: string } };

export function decisionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const deps = ctx.respond;
  app.get('/api/v1/decisions', async (req) => listDecisions(deps, await ctx.actor(req, 'read'), req.query));
  app.get<IdParams>('/api/v1/decisions/:id', async (req) => getDecision(deps, await ctx.actor(req, 'read'), req.params.id));
  app.post('/api/v1/decisions', async (req, reply) => {
    const actor = await ctx.actor(req, 'decisions:write');
    const r = await createDecision(deps, actor, req.body);
    return reply.code(r.outcome === 'created' ? 201 : 200).send({ ...decisionView(r.decision, deps.clock()), outcome: r.outcome });
  });
  app.delete<IdParams>('/api/v1/decisions/:id', async (req) => {
    const actor = await ctx.actor(req, 'decisions:write');
    return decisionView(await deleteDecision(deps, actor, req.params.id), deps.clock());
  });
  app.delete('/api/v1/decisions', async (req) => deleteDecisions(deps, await ctx.actor(req, 'decisions:write'), req.query));
}
