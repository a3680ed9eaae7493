import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { computeAnalytics } from '../../service/after-incident/compute-analytics.ts';

/** `GET /api/v1/analytics?from&to&group_by=type|severity|week` (or `since=30d`). */
export function analyticsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/v1/analytics', async (req) => computeAnalytics(ctx.deps, await ctx.actor(req, 'read'), req.query));
}
