/**
 * Composition root: the only place that wires things together. Everything
 * else receives its dependencies as arguments.
 */
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { openDb, type Db } from './store/db.ts';
import { migrate } from './store/migrate.ts';
import { createBus, type Deps } from './service/context.ts';
import { bootstrapAdmin } from './service/tokens.ts';
import { recordSlaBreach } from './service/record-sla-breach.ts';
import { createScheduler, type Scheduler } from './escalate/scheduler.ts';
import { buildApp } from './http/app.ts';
import { requireActor } from './http/auth.ts';
import { createSessionStore, sessionActor } from './http/session-auth.ts';
import { sessionRoutes } from './http/routes/session.ts';
import { staticRoutes } from './http/routes/static.ts';
import type { HealthPart, HttpContext } from './http/http-context.ts';
import { ACK_TIMER } from './service/open-incident.ts';
import { VERSION } from './version.ts';
import { resolveRules } from './domain/rules/default-rules.ts';
import { createPipeline, type Pipeline } from './detect/pipeline.ts';
import { handleDetection } from './service/handle-detection.ts';
import { eventRoutes } from './http/routes/events.ts';
import { createFileSource, type FileSource } from './detect/file-source.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';

export interface Firebreak {
  app: FastifyInstance;
  deps: Deps;
  scheduler: Scheduler;
  pipeline: Pipeline;
  sources: FileSource[];
  metrics: Metrics;
  /** Set when the server generated the first admin token at this start. */
  generatedAdminToken?: { token: string; file: string };
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface CreateOptions {
  logger?: Logger;
  clock?: () => Date;
  /** Open this database instead of the configured one (tests). */
  db?: Db;
  schedulerIntervalMs?: number;
  /** Start background loops (scheduler…); tests may drive them by hand. */
  background?: boolean;
}

export function createLogger(config: Pick<Config, 'log_level'>): Logger {
  return pino({
    level: config.log_level,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'token', '*.token', 'secret', '*.secret', 'webhook_secret'], censor: '[redacted]' },
  });
}

export async function createFirebreak(config: Config, opts: CreateOptions = {}): Promise<Firebreak> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (() => new Date());
  const db = opts.db ?? (await openDb({ databaseUrl: config.database_url, dataDir: config.data_dir }));
  let ready = false;
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  const bus = createBus(logger);
  const deps: Deps = { db, config, clock, logger, bus };

  const scheduler = createScheduler({
    db,
    clock,
    logger,
    intervalMs: opts.schedulerIntervalMs,
    handlers: {
      [ACK_TIMER]: async (q, t, now) => {
        await recordSlaBreach(deps, q, t.ref, t.payload as { deadline?: string }, now);
      },
    },
  });

  const rules = resolveRules(config.rules);
  const pipeline = createPipeline({
    db,
    logger,
    rules,
    clock,
    store: config.events.store,
    queueLimit: config.events.queue_limit,
    retentionMs: config.events.retention,
    onDetection: async (d, rule) => {
      await handleDetection(deps, d, rule);
    },
  });
  await pipeline.rebuild(clock());
  const metrics = createMetrics({ db, pipeline, bus });
  const sources = config.sources.map((cfg) => createFileSource({ cfg, db, pipeline, logger, clock }));

  const health: HealthPart[] = [
    {
      name: 'database',
      critical: true,
      async check() {
        const t0 = performance.now();
        await db.query('SELECT 1');
        return { status: 'ok', kind: db.kind, latency_ms: Math.round((performance.now() - t0) * 100) / 100 };
      },
    },
    {
      name: 'scheduler',
      async check() {
        const s = scheduler.status();
        const stale = s.running && s.lastTickAt !== null && Date.now() - Date.parse(s.lastTickAt) > 30_000;
        return { status: !s.running || stale || s.lastError ? 'degraded' : 'ok', ...s };
      },
    },
    {
      name: 'sources',
      async check() {
        const items = sources.map((src) => src.status());
        return { status: items.some((i) => i.status === 'error') ? 'degraded' : 'ok', items };
      },
    },
    {
      name: 'detection',
      async check() {
        const s = pipeline.stats();
        const e = pipeline.engineStats();
        return {
          status: s.lastPersistError && s.pendingPersist > 0 ? 'degraded' : 'ok',
          rules: rules.map((r) => r.name),
          events_accepted: s.accepted,
          events_rejected: s.rejected,
          detections: s.detections,
          pending_store: s.pendingPersist,
          pending_detections: s.pendingDetections,
          rebuilt_events: s.rebuiltEvents,
          keys: e.keys,
          evicted_keys: e.evictedKeys,
          dropped_keys: e.droppedKeys,
          ...(s.lastPersistError ? { last_error: s.lastPersistError } : {}),
        };
      },
    },
  ];

  const sessions = createSessionStore({ clock });
  const fromSession = sessionActor(deps, sessions);
  const ctx: HttpContext = {
    deps,
    scheduler,
    version: VERSION,
    startedAt: new Date(),
    health,
    actor: (req, permission) => requireActor(deps, req, permission, fromSession),
    isReady: () => ready,
  };
  const app = buildApp(ctx, [(a) => metrics.route(a), eventRoutes(pipeline), sessionRoutes(sessions), staticRoutes()]);

  const boot = await bootstrapAdmin(deps);
  ready = true;
  if (opts.background !== false) {
    scheduler.start();
    pipeline.start();
    for (const src of sources) await src.start();
  }

  let closed = false;
  return {
    app,
    deps,
    scheduler,
    pipeline,
    sources,
    metrics,
    generatedAdminToken: boot.generated ? { token: boot.generated, file: boot.file! } : undefined,
    async listen() {
      return app.listen({ host: config.server.host, port: config.server.port });
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      for (const src of sources) await src.stop();
      await pipeline.stop();
      await scheduler.stop();
      await db.close();
    },
  };
}
