import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import type { EscalationDeps } from '../../service/escalation/escalation-deps.ts';
import { getIncidentEscalation, listEscalationPolicies } from '../../service/escalation/query-escalation.ts';

/**
 * GET /api/v1/incidents/{id}/escalation: the incident's frozen policy, where
 * its escalation is, and every notification with its delivery status.
 * GET /api/v1/escalation-policies: the policies incidents can get.
 */
export function escalationRoutes(edeps: EscalationDeps) {
  return (app: FastifyInstance, ctx: HttpContext): void => {
    app.get<{ Params: { id: string } }>('/api/v1/incidents/:id/escalation', async (req) =>
      getIncidentEscalation(edeps, await ctx.actor(req, 'read'), req.params.id),
    );
    app.get('/api/v1/escalation-policies', async (req) => ({
      items: listEscalationPolicies(edeps, await ctx.actor(req, 'read')),
      next_cursor: null,
    }));
  };
}
