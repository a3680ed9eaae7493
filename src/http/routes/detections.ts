/**
 * GET /api/v1/detections (viewer): every rule firing, newest first,
 * `{items: [{rule, key, at, value, incident_id}], next_cursor}`; filters
 * `rule`, `key`, `since`, `limit`, `cursor`. `at` is written as `firebreak
 * replay` writes it. GET /api/v1/dead-letters (admin): events kept aside
 * because they could not be stored.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { listDetections } from '../../service/detections/list-detections.ts';
import { listDeadLetters } from '../../service/detections/list-dead-letters.ts';
import { formatTsUs } from '../../domain/time.ts';

export function detectionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/v1/detections', async (req) => {
    const page = await listDetections(ctx.deps, await ctx.actor(req, 'read'), req.query);
    return {
      items: page.items.map((d) => ({ rule: d.rule, key: d.key, at: formatTsUs(d.atUs), value: d.value, incident_id: d.incident_id })),
      next_cursor: page.next_cursor,
    };
  });
  app.get('/api/v1/dead-letters', async (req) => listDeadLetters(ctx.deps, await ctx.actor(req, 'admin'), req.query));
}
