import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpContext } from '../http-context.ts';
import { openIncident } from '../../service/incidents/open-incident.ts';
import { acknowledgeIncident } from '../../service/incidents/acknowledge-incident.ts';
import { resolveIncident } from '../../service/incidents/resolve-incident.ts';
import { reopenIncident } from '../../service/incidents/reopen-incident.ts';
import { addNote } from '../../service/incidents/add-note.ts';
import { listIncidents, getIncident, getTimeline } from '../../service/incidents/query-incidents.ts';
import { parseInput } from '../../service/core/validate.ts';
import { listIncidentMembers } from '../../service/incidents/list-members.ts';

const transitionBody = z
  .object({ note: z.string().max(20_000).optional() })
  .strict()
  .optional()
  .nullable();

type IdParams = { Params: { id: string } };

export function incidentRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/api/v1/incidents', async (req, reply) => {
    const actor = await ctx.actor(req, 'incidents:write');
    const r = await openIncident(ctx.deps, actor, req.body);
    return reply.code(r.outcome === 'created' ? 201 : 200).send({ ...r.incident, outcome: r.outcome });
  });
  app.get('/api/v1/incidents', async (req) => listIncidents(ctx.deps, await ctx.actor(req, 'read'), req.query));
  app.get<IdParams>('/api/v1/incidents/:id', async (req) => getIncident(ctx.deps, await ctx.actor(req, 'read'), req.params.id));
  app.get<IdParams>('/api/v1/incidents/:id/timeline', async (req) =>
    getTimeline(ctx.deps, await ctx.actor(req, 'read'), req.params.id, req.query),
  );
  app.get<IdParams>('/api/v1/incidents/:id/members', async (req) =>
    listIncidentMembers(ctx.deps, await ctx.actor(req, 'read'), req.params.id, req.query),
  );

  const verbs = { acknowledge: acknowledgeIncident, resolve: resolveIncident, reopen: reopenIncident } as const;
  for (const [verb, fn] of Object.entries(verbs)) {
    app.post<IdParams>(`/api/v1/incidents/:id/${verb}`, async (req) => {
      const actor = await ctx.actor(req, 'incidents:write');
      const body = parseInput(transitionBody, req.body ?? undefined);
      return fn(ctx.deps, actor, req.params.id, body?.note);
    });
  }
  app.post<IdParams>('/api/v1/incidents/:id/notes', async (req, reply) => {
    const actor = await ctx.actor(req, 'incidents:write');
    return reply.code(201).send(await addNote(ctx.deps, actor, req.params.id, req.body));
  });
}
