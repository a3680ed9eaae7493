/**
 * PagerDuty Events API v2 compatible endpoint: `POST /v2/enqueue`. Answers in
 * PagerDuty's shapes, not Firebreak's: 202 `{status, message, dedup_key}`,
 * 400 `{status: "invalid event", message: "Event object is invalid", errors}`
 * (also for malformed JSON and unknown routing keys), and 5xx (senders retry)
 * when Firebreak cannot take the event now.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { HTTP_STATUS, normalizeHttpError } from '../error-map.ts';
import { ingestPagerDutyEvent, InvalidPagerDutyEvent } from '../../service/integrations/ingest-pagerduty.ts';

/** PagerDuty's size limit for one event. */
const BODY_LIMIT = 512 * 1024;

export function pagerdutyRoutes(app: FastifyInstance, ctx: HttpContext): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((err, _req, reply) => {
      if (err instanceof InvalidPagerDutyEvent)
        return reply.code(400).send({ status: 'invalid event', message: 'Event object is invalid', errors: err.errors });
      const e = normalizeHttpError(err);
      const status = HTTP_STATUS[e.code];
      if (status < 500 && e.code !== 'rate_limited')
        return reply.code(400).send({ status: 'invalid event', message: 'Event object is invalid', errors: [e.message] });
      if (e.code === 'internal') ctx.deps.logger.error({ err: e.cause ?? e }, 'PagerDuty event failed');
      return reply.code(status).send({ status: 'error', message: e.code === 'internal' ? 'internal error; try again later' : e.message });
    });
    scope.post('/v2/enqueue', { bodyLimit: BODY_LIMIT }, async (req, reply) =>
      reply.code(202).send(await ingestPagerDutyEvent(ctx.deps, req.body, req.ip)),
    );
  });
}
