/**
 * Builds the Fastify application (no listen here, so tests use inject()).
 * Routes only parse, call a verb, and map errors.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';
import { MAX_PARAM_LENGTH, normalizeHttpError, pathForMessage, sendError, uriTooLong } from './error-map.ts';
import type { HttpContext, RoutePlugin } from './http-context.ts';
import { ROUTES } from './routes/index.ts';

/** Names where the JSON broke: line, column and the text around it. */
export function malformedJson(text: string, err: Error): AppError {
  const m = /position (\d+)/.exec(err.message);
  const pos = m ? Number(m[1]) : text.length;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  const where = `at line ${line}, column ${col}${m ? ` (near ${JSON.stringify(text.slice(Math.max(0, pos - 10), pos + 10))})` : ' (the body ends too early)'}`;
  return new AppError('invalid', `malformed JSON ${where}: ${err.message}`, {
    details: [{ path: '(body)', message: `${err.message} ${where}` }],
  });
}

/** `routes` (tests) replaces the route list of routes/index.ts. */
export function buildApp(ctx: HttpContext, routes: readonly RoutePlugin[] = ROUTES): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.deps.config.server.body_limit,
    trustProxy: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own answers (a parameter over the limit: 414; a path that does not decode: 400) in our error shape.
    frameworkErrors: (err, _req, reply) => sendError(reply, normalizeHttpError(err)),
  });

  // JSON with a precise error position; an empty body is "no body".
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(malformedJson(text, err as Error), undefined);
    }
  });
  // NDJSON and plain text arrive as strings; the route parses them line by line.
  app.addContentTypeParser(['application/x-ndjson', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 500)
      ctx.deps.logger.warn({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request failed');
  });

  app.setErrorHandler((err, _req, reply) => {
    const e = normalizeHttpError(err);
    if (e.code === 'internal') ctx.deps.logger.error({ err: e.cause ?? e }, 'unhandled error');
    return sendError(reply, e.code === 'internal' ? new AppError('internal', 'internal error; see the server log') : e);
  });
  app.setNotFoundHandler((req, reply) => {
    // A GET wildcard (the dashboard's) lets the router match an over-long parameter and fall through to here.
    const tooLong = req.url
      .split('?')[0]!
      .split('/')
      .some((seg) => seg.length > MAX_PARAM_LENGTH);
    return sendError(reply, tooLong ? uriTooLong() : new AppError('not_found', `no route ${req.method} ${pathForMessage(req.url)}`));
  });

  for (const r of routes) r(app, ctx);
  return app;
}
