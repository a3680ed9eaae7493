/** Allowlist API: GET (viewer), POST and DELETE (responder/admin). */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { listAllowlist } from '../../service/response/list-allowlist.ts';
import { addAllowlistEntry } from '../../service/response/add-allowlist-entry.ts';
import { removeAllowlistEntry } from '../../service/response/remove-allowlist-entry.ts';

export function allowlistRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const deps = ctx.respond;
  app.get('/api/v1/allowlist', async (req) => listAllowlist(deps, await ctx.actor(req, 'read')));
  app.post('/api/v1/allowlist', async (req, reply) =>
    reply.code(201).send(await addAllowlistEntry(deps, await ctx.actor(req, 'decisions:write'), req.body)),
  );
  app.delete<{ Params: { id: string } }>('/api/v1/allowlist/:id', async (req) =>
    removeAllowlistEntry(deps, await ctx.actor(req, 'decisions:write'), req.params.id),
  );
}
