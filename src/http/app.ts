/**
 * Builds the Fastify application (no listen here, so tests use inject()).
 * Routes only parse, call a verb, and map errors.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';
import { normalizeHttpError, sendError } from './error-map.ts';
import type { HttpContext } from './http-context.ts';
import { healthRoutes } from './routes/health.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { incidentRoutes } from './routes/incidents.ts';

export type RoutePlugin = (app: FastifyInstance, ctx: HttpContext) => void;

export const CORE_ROUTES: readonly RoutePlugin[] = [healthRoutes, tokenRoutes, incidentRoutes];

export function buildApp(ctx: HttpContext, extraRoutes: readonly RoutePlugin[] = []): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.deps.config.server.body_limit,
    trustProxy: false,
    return503OnClosing: true,
  });

  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 500) ctx.deps.logger.warn({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request failed');
  });

  app.setErrorHandler((err, _req, reply) => {
    const e = normalizeHttpError(err);
    if (e.code === 'internal') ctx.deps.logger.error({ err: e.cause ?? e }, 'unhandled error');
    return sendError(reply, e.code === 'internal' ? new AppError('internal', 'internal error; see the server log') : e);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new AppError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`)));

  for (const r of [...CORE_ROUTES, ...extraRoutes]) r(app, ctx);
  return app;
}
