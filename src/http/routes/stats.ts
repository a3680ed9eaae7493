import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpContext } from '../http-context.ts';
import { parseInput } from '../../service/core/validate.ts';
import { minuteSeries } from '../../store/event-repo.ts';

const query = z
  .object({
    minutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
  })
  .strict();

/**
 * GET /api/v1/stats/timeseries?minutes=60 → {buckets: [{t, events, detections, errors}]}:
 * per-minute event, detection and error counts (errors = app.error events and
 * http.request with status >= 500 are not split out of http.request here, so
 * `errors` counts app.error and db.connection_error events), oldest first, with
 * empty minutes filled in. Timestamps are the events' own minutes.
 */
export function statsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/v1/stats/timeseries', async (req) => {
    await ctx.actor(req, 'read');
    const { minutes } = parseInput(query, req.query, 'query');
    const now = ctx.deps.clock().getTime();
    const end = Math.floor(now / 60_000) * 60_000;
    const start = end - (minutes - 1) * 60_000;
    const rows = await minuteSeries(ctx.deps.db, new Date(start));
    const buckets = new Map<number, { t: string; events: number; detections: number; errors: number; rejected: number }>();
    for (let m = start; m <= end; m += 60_000)
      buckets.set(m, { t: new Date(m).toISOString(), events: 0, detections: 0, errors: 0, rejected: 0 });
    for (const r of rows) {
      const b = buckets.get(Date.parse(r.minute));
      if (!b) continue;
      if (r.type.startsWith('detection:')) b.detections += r.detections;
      else {
        b.events += r.events;
        b.rejected += r.rejected;
        if (r.type === 'app.error' || r.type === 'db.connection_error' || r.type === 'data.integrity_error') b.errors += r.events;
      }
    }
    return { buckets: [...buckets.values()] };
  });
}
