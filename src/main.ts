/**
 * Composition root: the only place that wires things together. Everything
 * else receives its dependencies as arguments.
 */
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { openDb, type Db } from './store/db.ts';
import { migrate } from './store/migrate.ts';
import { createBus, type Deps } from './service/core/context.ts';
import { bootstrapAdmin } from './service/access/tokens.ts';
import { recordSlaBreach } from './service/incidents/record-sla-breach.ts';
import { createScheduler, type Scheduler } from './escalate/scheduler.ts';
import { buildApp } from './http/app.ts';
import { requireActor } from './http/auth.ts';
import { createSessionStore, sessionActor } from './http/session-auth.ts';
import { sessionRoutes } from './http/routes/session.ts';
import { staticRoutes } from './http/routes/static.ts';
import type { HealthPart, HttpContext } from './http/http-context.ts';
import { ACK_TIMER } from './service/incidents/open-incident.ts';
import { VERSION } from './version.ts';
import { resolveRules } from './domain/rules/default-rules.ts';
import type { DetectionJob } from './domain/event.ts';
import { createPipeline, type Pipeline } from './detect/pipeline.ts';
import { clusterSourceConfig, createClusterPipeline, wireClusterServices } from './cluster/cluster-wiring.ts';
import { handleDetection } from './service/detections/handle-detection.ts';
import { eventRoutes } from './http/routes/events.ts';
import { detectionRoutes } from './http/routes/detections.ts';
import { registerIngestMetrics } from './http/ingest-metrics.ts';
import { detectionHealth, ingestHealth, ingestNotReady } from './detect/ingest/ingest-health.ts';
import { statsRoutes } from './http/routes/stats.ts';
import { createFileSource, type FileSource } from './detect/file-source.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';
import path from 'node:path';
import { builtinRunbooksDir, loadRunbooks } from './runbook/load-runbooks.ts';
import { createRunbookEngine, type RunbookEngine } from './service/runbooks/runbook-engine.ts';
import type { ActionRunner } from './service/runbooks/runbook-runtime.ts';
import { createStepIo } from './service/runbooks/step-io.ts';
import { runIncidentActions } from './service/response/run-incident-actions.ts';
import { readRuleValue } from './service/runbooks/read-rule-value.ts';
import { openProbeIncident } from './service/incidents/open-probe-incident.ts';
import { noteProbeRecovery } from './service/incidents/note-probe-recovery.ts';
import { createProbeManager, type ProbeManager, type ProbeState } from './detect/probes/probe-manager.ts';
import { createCheckIo } from './detect/probes/check-io.ts';
import { runbookStepRoutes } from './http/routes/runbook-steps.ts';
import { createChannels } from './notify/registry.ts';
import { loadAckSecret, type EscalationDeps } from './service/escalation/escalation-deps.ts';
import { fallbackLogChannelName } from './service/escalation/escalation-policy.ts';
import { channelHealth } from './service/escalation/query-escalation.ts';
import { createEscalator, type Escalator } from './escalate/escalator.ts';
import { escalationRoutes } from './http/routes/escalations.ts';
import { scheduleRoutes } from './http/routes/schedules.ts';
import { ackLinkRoutes } from './http/routes/ack-links.ts';
import { integrationRoutes } from './http/routes/integrations.ts';
import { alertmanagerRoutes } from './http/routes/alertmanager.ts';
import { pagerdutyRoutes } from './http/routes/pagerduty.ts';
import { createAfterIncident, logReminders, type AfterIncident } from './service/after-incident/after-incident.ts';
import type { NotifyReminder } from './service/after-incident/reminder.ts';
import { postmortemRoutes } from './http/routes/postmortems.ts';
import { actionItemRoutes } from './http/routes/action-items.ts';
import { analyticsRoutes } from './http/routes/analytics.ts';
import { backupRoutes } from './http/routes/backups.ts';
import { createResponseRuntime, type ResponseRuntime } from './respond/runtime.ts';
import type { RespondDeps } from './service/response/respond-deps.ts';
import { ACTION_RETRY_TIMER } from './service/response/action-attempt.ts';
import { retryActionRun } from './service/response/retry-action.ts';
import { liftAllowlistedDecisions } from './service/response/lift-allowlisted-decisions.ts';
import { decisionRoutes } from './http/routes/decisions.ts';
import { allowlistRoutes } from './http/routes/allowlist.ts';
import { bouncerRoutes } from './http/routes/bouncer.ts';
import { incidentActionRoutes } from './http/routes/incident-actions.ts';

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

export interface CreateOptions {
  logger?: Logger;
  clock?: () => Date;
  /** Open this database instead of the configured one (tests). */
  db?: Db;
  schedulerIntervalMs?: number;
  /** Start background loops (scheduler…); tests may drive them by hand. */
  background?: boolean;
  /** Time between verification rounds of an incident's runbook checks (default 10 s). */
  verifyIntervalMs?: number;
  /** Delay before a new runbook run's action steps, so the opener's own actions go first (default 5 s). */
  runbookActionGraceMs?: number;
  /** Runs runbook `action` steps (default: runIncidentActions). */
  actionRunner?: ActionRunner;
  /** Sends post-mortem and action-item reminders (default: logged). */
  notifyReminder?: NotifyReminder;
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
  // Rules and runbooks first: a broken runbook stops start-up (exit 2, file:line:col) before the database opens.
  const rules = resolveRules(config.rules);
  const runbooks = loadRunbooks({
    builtinDir: builtinRunbooksDir(),
    userDir: config.runbooks_dir ? path.resolve(config.runbooks_dir) : undefined,
    knownProbes: config.probes.map((p) => p.name),
    knownRules: rules.map((r) => r.name),
  });
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
  // Automated response (decisions, allowlist, actions). The notify action's
  // hook is record-only until channels are wired here (`notify:` option).
  const response = createResponseRuntime({ app: config.app, timeoutMs: config.actions.timeout, logger });
  const rdeps: RespondDeps = { ...deps, response };
  await liftAllowlistedDecisions(deps);

  const appDatabaseUrl = config.probes.find((p) => p.type === 'postgres')?.url;
  const probes = createProbeManager({
    probes: config.probes,
    clock,
    logger,
    onDown: async (probe, state) => void (await openProbeIncident(deps, probe, state)),
    onUp: async (probe, state, downSince) => void (await noteProbeRecovery(deps, probe, state, downSince)),
  });
  const background = opts.background !== false;
  const runbookEngine = createRunbookEngine({
    deps,
    runbooks,
    steps: createStepIo(
      opts.actionRunner ?? ((actor, incident, requests) => runIncidentActions(rdeps, actor, incident, requests)),
      appDatabaseUrl,
    ),
    checks: createCheckIo({ probes, appDatabaseUrl, ruleValue: (rule, key, now) => readRuleValue(deps, rules, rule, key, now) }),
    verifyIntervalMs: opts.verifyIntervalMs,
    actionGraceMs: opts.runbookActionGraceMs,
    wake: () => void (background && scheduler.tick()), // only called once started (after `scheduler` below exists)
  });

  // Escalation and notification: channels from `channels:` plus a log channel
  // (the built-in policy's fallback); links point at server.public_url or,
  // once known, the address we listen on.
  const logChannel = fallbackLogChannelName(config.channels);
  const channelConfigs = config.channels.some((c) => c.name === logChannel)
    ? config.channels
    : [...config.channels, { name: logChannel, type: 'log' as const }];
  let listeningAt: string | null = null;
  const edeps: EscalationDeps = {
    ...deps,
    channels: createChannels(channelConfigs, { logger }),
    logChannel,
    ackSecret: await loadAckSecret(deps),
    publicUrl: () => (config.server.public_url ?? listeningAt ?? `http://${config.server.host}:${config.server.port}`).replace(/\/+$/, ''),
  };
  const escalator = createEscalator({ deps: edeps, bus, logger });
  const afterIncident = createAfterIncident({
    deps,
    notify: opts.notifyReminder ?? logReminders(logger),
    wake: () => void (background && scheduler?.tick()),
  });

  const scheduler = createScheduler({
    db,
    clock,
    logger,
    intervalMs: opts.schedulerIntervalMs,
    handlers: {
      [ACK_TIMER]: async (q, t, now) => {
        await recordSlaBreach(deps, q, t.ref, t.payload as { deadline?: string }, now);
      },
      [ACTION_RETRY_TIMER]: (q, t, now) => retryActionRun(rdeps, q, t, now),
      ...runbookEngine.handlers,
      ...escalator.handlers,
      ...afterIncident.handlers,
    },
  });

  const pipelineOptions = {
    db,
    logger,
    rules,
    clock,
    store: config.events.store,
    queueLimit: config.events.queue_limit,
    retentionMs: config.events.retention,
    // Until detections are handled in batches (campaigns), one after the other.
    onDetections: async (batch: readonly DetectionJob[]) => {
      for (const { d, rule } of batch) await handleDetection(rdeps, d, rule);
    },
  };
  // Cluster mode (docs/cluster.md): detection partitioned on Redis Streams; otherwise the single-process pipeline.
  const cluster = createClusterPipeline(config, pipelineOptions);
  const pipeline: Pipeline = cluster ?? createPipeline(pipelineOptions);
  await pipeline.rebuild(clock());
  const metrics = createMetrics({ db, pipeline, bus, probes: () => probes.states() });
  registerIngestMetrics(metrics.registry, pipeline, (fn) => metrics.addCollector(fn));
  // Cluster mode: each instance follows its own host's files; positions are kept per instance.
  const sources = config.sources.map((cfg) =>
    createFileSource({
      cfg: clusterSourceConfig(config, cfg),
      db,
      pipeline,
      logger,
      clock,
    }),
  );

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
      name: 'channels',
      check: () => channelHealth(edeps),
    },
    {
      name: 'probes',
      async check() {
        const items = probes.states();
        return { status: items.some((p) => p.status === 'down') ? 'degraded' : 'ok', items };
      },
    },
    { name: 'ingest', check: async () => ingestHealth(pipeline), notReady: () => ingestNotReady(pipeline) },
    { name: 'detection', check: async () => detectionHealth(pipeline) },
  ];

  const sessions = createSessionStore({ clock });
  const fromSession = sessionActor(deps, sessions);
  const clusterServices = cluster ? wireClusterServices({ cluster, config, db, logger, metrics, sessions }) : null;
  if (clusterServices) health.push(...clusterServices.health);
  const ctx: HttpContext = {
    deps,
    scheduler,
    version: VERSION,
    startedAt: new Date(),
    health,
    actor: (req, permission) => requireActor(deps, req, permission, fromSession),
    isReady: () => ready,
  };
  const app = buildApp(ctx, [
    (a) => metrics.route(a),
    eventRoutes(pipeline),
    detectionRoutes,
    statsRoutes,
    runbookStepRoutes(runbookEngine.runtime),
    sessionRoutes(sessions),
    escalationRoutes(edeps),
    scheduleRoutes,
    ackLinkRoutes(edeps),
    integrationRoutes,
    alertmanagerRoutes,
    pagerdutyRoutes,
    postmortemRoutes,
    actionItemRoutes,
    analyticsRoutes,
    backupRoutes,
    decisionRoutes(rdeps),
    allowlistRoutes(rdeps),
    bouncerRoutes(deps),
    incidentActionRoutes(rdeps),
    staticRoutes(),
  ]);

  const boot = await bootstrapAdmin(deps);
  await runbookEngine.start({ loop: background });
  await afterIncident.start();
  ready = true;
  if (background) {
    scheduler.start();
    escalator.start();
    pipeline.start();
    for (const src of sources) await src.start();
    probes.start();
  }

  let closed = false;
  return {
    app,
    deps,
    scheduler,
    pipeline,
    sources,
    metrics,
    runbooks: runbookEngine,
    probes,
    escalator,
    probeStates: () => probes.states(),
    afterIncident,
    response,
    generatedAdminToken: boot.generated ? { token: boot.generated, file: boot.file! } : undefined,
    async listen() {
      listeningAt = await app.listen({ host: config.server.host, port: config.server.port });
      return listeningAt;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      afterIncident.stop();
      await probes.stop();
      for (const src of sources) await src.stop();
      await pipeline.stop();
      await clusterServices?.close();
      await scheduler.stop();
      await escalator.stop();
      await runbookEngine.stop();
      await response.idle();
      await db.close();
    },
  };
}
