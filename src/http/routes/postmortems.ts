import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { listPostmortems, getPostmortem, exportPostmortemMarkdown } from '../../service/after-incident/query-postmortems.ts';
import { updatePostmortem } from '../../service/after-incident/update-postmortem.ts';

type IdParams = { Params: { id: string } };

/** Post-mortems: drafted when incidents resolve; read by anyone with `read`, edited by responders and admins. */
export function postmortemRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/v1/postmortems', async (req) => listPostmortems(ctx.deps, await ctx.actor(req, 'read'), req.query));
  app.get<IdParams>('/api/v1/postmortems/:id', async (req) => getPostmortem(ctx.deps, await ctx.actor(req, 'read'), req.params.id));
  app.get<IdParams>('/api/v1/postmortems/:id/markdown', async (req, reply) => {
    const md = await exportPostmortemMarkdown(ctx.deps, await ctx.actor(req, 'read'), req.params.id);
    return reply.type('text/markdown; charset=utf-8').send(md);
  });
  app.put<IdParams>('/api/v1/postmortems/:id', async (req) =>
    updatePostmortem(ctx.deps, await ctx.actor(req, 'incidents:write'), req.params.id, req.body ?? {}),
  );
}
