import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.ts';
import type { HttpContext } from '../http-context.ts';
import type { FbEvent } from '../../domain/event.ts';
import { validateEvent } from '../../domain/event-object.ts';
import { TimeScan } from '../../domain/time.ts';

/**
 * POST /api/v1/events (role ingest): a JSON array of events, one JSON object,
 * or NDJSON (Content-Type: application/x-ndjson). Answers 202
 * {accepted, rejected: [{index, error}], quarantined} once the accepted events
 * are stored: a bad event is rejected with its position and never takes the
 * good ones down with it. When the pipeline is full: 429 with Retry-After;
 * when storage fails or is too slow to answer within STORE_WAIT_MS: 503 with
 * Retry-After. Then nothing of the request was accepted: send it again.
 */
/** How long a request waits for its events to be stored before it is answered 503 (the answer stays under 1 s). */
const STORE_WAIT_MS = 800;
/** An NDJSON line that is not JSON, in place of its item. */
const NOT_JSON = Symbol('not JSON');

export function eventRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const pipeline = ctx.pipeline;
  app.post('/api/v1/events', async (req, reply) => {
    await ctx.actor(req, 'events:write');
    const maxBatch = ctx.deps.config.events.max_batch;
    const tooMany = () => new AppError('payload_too_large', `at most ${maxBatch} events per request; split the batch`);
    let items: unknown[];
    /** NDJSON: each item's line, stored as sent instead of encoding the event again. */
    let texts: string[] | undefined;
    if (typeof req.body === 'string') {
      texts = [];
      for (const line of req.body.split('\n')) if (line.trim() !== '') texts.push(line);
      if (texts.length > maxBatch) throw tooMany();
      items = [];
      for (const line of texts) {
        try {
          items.push(JSON.parse(line));
        } catch {
          items.push(NOT_JSON);
        }
      }
    } else if (Array.isArray(req.body)) items = req.body;
    else if (req.body && typeof req.body === 'object') items = [req.body];
    else throw new AppError('invalid', 'send a JSON array of events, one event object, or NDJSON with Content-Type: application/x-ndjson');
    if (items.length > maxBatch) throw tooMany();

    const scan = new TimeScan();
    const good: FbEvent[] = [];
    const goodTexts: string[] | undefined = texts && ctx.deps.config.events.store !== 'none' ? [] : undefined;
    const rejected: { index: number; error: string }[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const r = item === NOT_JSON ? 'invalid JSON' : validateEvent(item, scan);
      if (typeof r === 'string') rejected.push({ index: i, error: r });
      else {
        good.push(r);
        goodTexts?.push(texts![i]!);
      }
    }
    // Labels taken now: the request's parsed objects and lines are not kept alive until the commit.
    const rejectedTypes = rejected.map((r) => {
      const t = (items[r.index] as { type?: unknown } | undefined)?.type;
      return typeof t === 'string' && t.length <= 100 ? t : 'invalid';
    });
    // Throws rate_limited / unavailable with nothing accepted; resolves once stored.
    const r = await pipeline.accept(good, { source: 'api', waitMs: STORE_WAIT_MS, texts: goodTexts });
    for (const t of rejectedTypes) pipeline.countRejected(t);
    return reply.code(202).send({ accepted: good.length, rejected, ...(r.quarantined ? { quarantined: r.quarantined } : {}) });
  });
}
