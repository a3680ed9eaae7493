import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { createIntegration } from '../../service/integrations/create-integration.ts';
import { listIntegrations } from '../../service/integrations/query-integrations.ts';
import { revokeIntegration } from '../../service/integrations/revoke-integration.ts';

/** Integration keys for Alertmanager and PagerDuty-style senders (admin). The key is in the 201 answer only. */
export function integrationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/api/v1/integrations', async (req, reply) => {
    const actor = await ctx.actor(req, 'admin');
    return reply.code(201).send(await createIntegration(ctx.deps, actor, req.body));
  });
  app.get<{ Querystring: { include_revoked?: string } }>('/api/v1/integrations', async (req) => {
    const actor = await ctx.actor(req, 'admin');
    return { items: await listIntegrations(ctx.deps, actor, req.query.include_revoked === 'true'), next_cursor: null };
  });
  app.delete<{ Params: { id: string } }>('/api/v1/integrations/:id', async (req) =>
    revokeIntegration(ctx.deps, await ctx.actor(req, 'admin'), req.params.id),
  );
}
