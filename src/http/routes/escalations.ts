import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { getIncidentEscalation, listEscalationPolicies } from '../../service/escalation/query-escalation.ts';

/**
 * GET /api/v1/incidents/{id}/escalation: the incident's frozen policy, where
 * its escalation is, and every notification with its delivery status.
 * GET /api/v1/escalation-policies: the policies incidents can get.
 */
export function escalationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const edeps = ctx.escalation;
  app.get<{ Params: { id: string } }>('/api/v1/incidents/:id/escalation', async (req) =>
    getIncidentEscalation(edeps, await ctx.actor(req, 'read'), req.params.id),
  );
  app.get('/api/v1/escalation-policies', async (req) => ({
    items: listEscalationPolicies(edeps, await ctx.actor(req, 'read')),
    next_cursor: null,
  }));
}
