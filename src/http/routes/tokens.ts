import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { createToken, listTokens, revokeToken } from '../../service/access/tokens.ts';

export function tokenRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/api/v1/tokens', async (req, reply) => {
    const actor = await ctx.actor(req, 'admin');
    return reply.code(201).send(await createToken(ctx.deps, actor, req.body));
  });
  app.get<{ Querystring: { include_revoked?: string } }>('/api/v1/tokens', async (req) => {
    const actor = await ctx.actor(req, 'admin');
    return { items: await listTokens(ctx.deps, actor, req.query.include_revoked === 'true'), next_cursor: null };
  });
  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (req) => {
    const actor = await ctx.actor(req, 'admin');
    return revokeToken(ctx.deps, actor, req.params.id);
  });
}
