import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';

/** `GET /metrics` (Prometheus text format) from the instance's registry (../metrics.ts). */
export function metricsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  ctx.metrics.route(app);
}
