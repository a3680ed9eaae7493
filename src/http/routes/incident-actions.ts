/**
 * Actions of an incident: POST runs them (default: the type's default
 * actions), GET lists the runs; GET /api/v1/response-plan is the dry run.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { requestIncidentActions } from '../../service/response/request-incident-actions.ts';
import { listActionRuns } from '../../service/response/list-action-runs.ts';
import { planResponse } from '../../service/response/plan-response.ts';

type IdParams = { Params: { id: string } };

export function incidentActionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const deps = ctx.respond;
  app.post<IdParams>('/api/v1/incidents/:id/actions', async (req) => {
    const actor = await ctx.actor(req, 'decisions:write');
    return requestIncidentActions(deps, actor, req.params.id, req.body ?? undefined);
  });
  app.get<IdParams>('/api/v1/incidents/:id/actions', async (req) => listActionRuns(deps, await ctx.actor(req, 'read'), req.params.id));
  app.get('/api/v1/response-plan', async (req) => planResponse(deps, await ctx.actor(req, 'read'), req.query));
}
