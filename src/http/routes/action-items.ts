import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { listActionItems, getActionItem } from '../../service/after-incident/query-action-items.ts';
import { createActionItem } from '../../service/after-incident/create-action-item.ts';
import { updateActionItem } from '../../service/after-incident/update-action-item.ts';
import { deleteActionItem } from '../../service/after-incident/delete-action-item.ts';

type IdParams = { Params: { id: string } };

/** Action items: follow-up tasks of incidents and post-mortems. */
export function actionItemRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/v1/action-items', async (req) => listActionItems(ctx.deps, await ctx.actor(req, 'read'), req.query));
  app.post('/api/v1/action-items', async (req, reply) =>
    reply.code(201).send(await createActionItem(ctx.deps, await ctx.actor(req, 'incidents:write'), req.body)),
  );
  app.get<IdParams>('/api/v1/action-items/:id', async (req) => getActionItem(ctx.deps, await ctx.actor(req, 'read'), req.params.id));
  app.patch<IdParams>('/api/v1/action-items/:id', async (req) =>
    updateActionItem(ctx.deps, await ctx.actor(req, 'incidents:write'), req.params.id, req.body ?? {}),
  );
  app.delete<IdParams>('/api/v1/action-items/:id', async (req, reply) => {
    await deleteActionItem(ctx.deps, await ctx.actor(req, 'incidents:write'), req.params.id);
    return reply.code(204).send();
  });
}
