import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { listSchedules, oncallForSchedule, listScheduleOverrides } from '../../service/oncall/query-schedules.ts';
import { addScheduleOverride } from '../../service/oncall/add-schedule-override.ts';
import { removeScheduleOverride } from '../../service/oncall/remove-schedule-override.ts';

type NameParams = { Params: { name: string } };

/**
 * On-call schedules (from `schedules:` in the configuration) and their
 * overrides (stored). Reads need `read`; overrides need responder or admin.
 */
export function scheduleRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/v1/schedules', async (req) => ({ items: await listSchedules(ctx.deps, await ctx.actor(req, 'read')), next_cursor: null }));
  app.get<NameParams>('/api/v1/schedules/:name/oncall', async (req) =>
    oncallForSchedule(ctx.deps, await ctx.actor(req, 'read'), req.params.name, req.query),
  );
  app.get<NameParams>('/api/v1/schedules/:name/overrides', async (req) => ({
    items: await listScheduleOverrides(ctx.deps, await ctx.actor(req, 'read'), req.params.name, req.query),
    next_cursor: null,
  }));
  app.post<NameParams>('/api/v1/schedules/:name/overrides', async (req, reply) => {
    const actor = await ctx.actor(req, 'incidents:write');
    return reply.code(201).send(await addScheduleOverride(ctx.deps, actor, req.params.name, req.body));
  });
  app.delete<{ Params: { name: string; id: string } }>('/api/v1/schedules/:name/overrides/:id', async (req) =>
    removeScheduleOverride(ctx.deps, await ctx.actor(req, 'incidents:write'), req.params.name, req.params.id),
  );
}
