/**
 * Composition root: the only place that wires things together; everything
 * else receives its dependencies as arguments. Start-up reads as its steps
 * (src/startup/): configuration → database → dependencies → engines → HTTP →
 * start. Extending it is a line in one step: a capability's dependencies in
 * startup/dependencies.ts, an engine in startup/engines.ts, a route module in
 * http/routes/index.ts.
 */
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { Deps } from './service/core/context.ts';
import { bootstrapAdmin } from './service/access/tokens.ts';
import type { Scheduler } from './engine/scheduler.ts';
import type { Pipeline } from './detect/pipeline.ts';
import type { FileSource } from './detect/file-source.ts';
import type { Metrics } from './http/metrics.ts';
import type { RunbookEngine } from './engine/runbook-engine.ts';
import type { ProbeManager, ProbeState } from './detect/probes/probe-manager.ts';
import type { Escalator } from './engine/escalator.ts';
import type { AfterIncident } from './engine/after-incident.ts';
import type { ResponseRuntime } from './respond/runtime.ts';
import type { CreateOptions } from './startup/options.ts';
import { loadCatalog } from './startup/catalog.ts';
import { openDatabase } from './startup/database.ts';
import { buildDependencies } from './startup/dependencies.ts';
import { buildEngines, startEngines, stopEngines } from './startup/engines.ts';
import { buildHttp } from './startup/http.ts';

/** createFirebreak's options (the CLI and tests import them from here). */
export type { CreateOptions };

export interface Firebreak {
  app: FastifyInstance;
  deps: Deps;
  scheduler: Scheduler;
  pipeline: Pipeline;
  sources: FileSource[];
  metrics: Metrics;
  /** Runbook runs: timers, deferred executions, verification. */
  runbooks: RunbookEngine;
  probes: ProbeManager;
  /** Escalation runs and notification delivery. */
  escalator: Escalator;
  /** Probe states and latencies (health report, metrics). */
  probeStates(): ProbeState[];
  /** Post-mortem drafts and post-mortem / action-item reminders. */
  afterIncident: AfterIncident;
  /** Automated response: action registry, outbound webhooks, background attempts. */
  response: ResponseRuntime;
  /** Set when the server generated the first admin token at this start. */
  generatedAdminToken?: { token: string; file: string };
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'log_level'>): Logger {
  return pino({
    level: config.log_level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'token', '*.token', 'secret', '*.secret', 'webhook_secret'],
      censor: '[redacted]',
    },
  });
}

export async function createFirebreak(config: Config, opts: CreateOptions = {}): Promise<Firebreak> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (() => new Date());
  const catalog = loadCatalog(config);
  const db = await openDatabase(config, opts.db);
  const deps = await buildDependencies(config, db, { logger, clock });
  const engines = await buildEngines(deps, catalog, opts);
  const http = buildHttp(deps, engines);

  // Start: the first admin token (if none exists), then the engines in order.
  const boot = await bootstrapAdmin(deps.core);
  await startEngines(engines.all, opts.background !== false);
  http.markReady();

  let closed = false;
  return {
    app: http.app,
    deps: deps.core,
    scheduler: engines.scheduler,
    pipeline: engines.detection.pipeline,
    sources: engines.detection.sources,
    metrics: http.metrics,
    runbooks: engines.runbooks,
    probes: engines.probes.probes,
    escalator: engines.escalator,
    probeStates: () => engines.probes.states(),
    afterIncident: engines.afterIncident,
    response: engines.response.response,
    generatedAdminToken: boot.generated ? { token: boot.generated, file: boot.file! } : undefined,
    async listen() {
      const address = await http.app.listen({ host: config.server.host, port: config.server.port });
      deps.setListeningAt(address);
      return address;
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.app.close();
      await http.close();
      await stopEngines(engines.all);
      await db.close();
    },
  };
}
