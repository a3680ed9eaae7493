/**
 * Start-up step 5, HTTP: the context every route module gets (the
 * dependencies, the engines' handles, sessions, metrics, health parts) and the
 * Fastify app with the route list of http/routes/index.ts. No listening here.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../http/app.ts';
import { requireActor } from '../http/auth.ts';
import { createSessionStore, sessionActor } from '../http/session-auth.ts';
import { createMetrics, type Metrics } from '../http/metrics.ts';
import { registerIngestMetrics } from '../http/ingest-metrics.ts';
import type { HttpContext } from '../http/http-context.ts';
import { VERSION } from '../version.ts';
import type { AppDeps } from './dependencies.ts';
import type { Engines } from './engines.ts';
import { databaseHealth } from './database.ts';
import { createFailureLimits, wireClusterServices } from '../cluster/cluster-wiring.ts';

export interface Http {
  app: FastifyInstance;
  metrics: Metrics;
  /** /readyz answers `ready` from then on. */
  markReady(): void;
  /** Ends what the HTTP side keeps open besides the app (cluster token-revocation listener). */
  close(): Promise<void>;
}

export function buildHttp(d: AppDeps, engines: Engines): Http {
  const { core } = d;
  const pipeline = engines.detection.pipeline;
  const metrics = createMetrics({
    db: core.db,
    pipeline,
    bus: core.bus,
    probes: () => engines.probes.states(),
    maxLabels: core.config.metrics.max_labels,
  });
  registerIngestMetrics(metrics.registry, pipeline, (fn) => metrics.addCollector(fn));
  // In PostgreSQL: shared by every instance of a cluster, kept across restarts (service/access/sessions.ts).
  const sessions = createSessionStore(core);
  const fromSession = sessionActor(sessions);
  const cluster = engines.detection.cluster;
  const limits = createFailureLimits(cluster, core.logger);
  const clusterServices = cluster
    ? wireClusterServices({ cluster, probeLeases: engines.probes.leases, config: core.config, db: core.db, logger: core.logger, metrics })
    : null;
  let ready = false;
  const ctx: HttpContext = {
    deps: core,
    respond: d.respond,
    escalation: d.escalation,
    scheduler: engines.scheduler,
    pipeline,
    runbooks: engines.runbooks.runtime,
    sessions,
    limits,
    metrics,
    version: VERSION,
    startedAt: new Date(),
    health: [databaseHealth(core.db), ...engines.all.flatMap((e) => e.health()), ...(clusterServices?.health ?? [])],
    actor: (req, permission) => requireActor(core, req, permission, fromSession, limits.bearer),
    isReady: () => ready,
  };
  return {
    app: buildApp(ctx),
    metrics,
    markReady: () => void (ready = true),
    close: async () => {
      await clusterServices?.close();
    },
  };
}
