/**
 * Prometheus metrics (`GET /metrics`). One registry per Firebreak instance
 * (no global default registry). Collectors read live state at scrape time;
 * other modules add theirs with `addCollector`.
 *
 * Label sets are bounded (src/domain/bounded-labels.ts): event types are
 * counted under their own name only when a rule matches them or
 * `metrics.event_types` lists them, else under `other`, and no metric renders
 * more than `metrics.max_labels` values of one label. With
 * `metrics.require_token`, scrapes need a token that may read (viewer or
 * above); by default the page is open, as Prometheus expects.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { boundedCounts, DEFAULT_MAX_LABELS } from '../domain/bounded-labels.ts';
import type { HttpContext } from './http-context.ts';
import type { Db } from '../store/db.ts';
import type { Pipeline } from '../detect/pipeline.ts';
import type { Bus } from '../service/core/context.ts';
import { countIncidentsByStatus } from '../store/incident-repo.ts';
import { activeDecisionsByType, notificationsByChannel } from '../store/metrics-repo.ts';

export interface Metrics {
  registry: Registry;
  /** A function run before each scrape to refresh gauges/counters from live state. */
  addCollector(fn: () => Promise<void> | void): void;
  /** Registers GET /metrics; with `ctx` and `metrics.require_token`, scrapes must authenticate. */
  route(app: FastifyInstance, ctx?: HttpContext): void;
}

const DURATION_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800];

export interface ProbeGaugeInput {
  name: string;
  type: string;
  status: string;
  latency_ms: number | null;
}

export function createMetrics(opts: {
  db: Db;
  pipeline: Pipeline;
  bus: Bus;
  probes?: () => ProbeGaugeInput[];
  /** Most values one label may take in one metric (config `metrics.max_labels`). */
  maxLabels?: number;
}): Metrics {
  const maxLabels = opts.maxLabels ?? DEFAULT_MAX_LABELS;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'firebreak_process_' });
  const collectors: (() => Promise<void> | void)[] = [];

  const setCounter = (c: Counter<string>, label: string, m: Map<string, number>) => {
    c.reset();
    for (const [k, v] of boundedCounts(m, maxLabels)) c.inc({ [label]: k }, v);
  };
  const ingested = new Counter({
    name: 'firebreak_events_ingested_total',
    help: 'Events accepted, by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'firebreak_events_rejected_total',
    help: 'Events refused by validation, by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const detections = new Counter({
    name: 'firebreak_detections_total',
    help: 'Rule firings, by rule',
    labelNames: ['rule'],
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'firebreak_events_pending_store',
    help: 'Accepted events waiting to be stored',
    registers: [registry],
  });
  collectors.push(() => {
    const s = opts.pipeline.stats();
    setCounter(ingested, 'type', s.byType);
    setCounter(rejected, 'type', s.rejectedByType);
    setCounter(detections, 'rule', s.detectionsByRule);
    pending.set(s.pendingPersist);
  });

  const incidents = new Gauge({
    name: 'firebreak_incidents',
    help: 'Incidents by status and severity',
    labelNames: ['status', 'severity'],
    registers: [registry],
  });
  collectors.push(async () => {
    const counts = await countIncidentsByStatus(opts.db);
    incidents.reset();
    for (const status of ['triggered', 'acknowledged', 'resolved'])
      for (const severity of ['critical', 'high', 'medium', 'low'])
        incidents.set({ status, severity }, counts[`${status}:${severity}`] ?? 0);
  });

  const decisions = new Gauge({
    name: 'firebreak_decisions_active',
    help: 'Active decisions (bans, rate limits, locks) by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'firebreak_notifications_total',
    help: 'Notifications by channel and outcome (sent, failed, pending, sending, cancelled)',
    labelNames: ['channel', 'status'],
    registers: [registry],
  });
  collectors.push(async () => {
    decisions.reset();
    for (const [type, n] of await activeDecisionsByType(opts.db, new Date())) decisions.set({ type }, n);
    notifications.reset();
    for (const row of await notificationsByChannel(opts.db)) notifications.inc({ channel: row.channel, status: row.status }, row.n);
  });

  const ackTime = new Histogram({
    name: 'firebreak_incident_acknowledge_seconds',
    help: 'Time from detection to acknowledgement',
    labelNames: ['severity'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const resolveTime = new Histogram({
    name: 'firebreak_incident_resolve_seconds',
    help: 'Time from detection to resolution',
    labelNames: ['severity'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  opts.bus.subscribe((e) => {
    if (e.type === 'incident.acknowledged' && e.incident.acknowledged_at) {
      ackTime.observe(
        { severity: e.incident.severity },
        Math.max(0, (Date.parse(e.incident.acknowledged_at) - Date.parse(e.incident.detected_at)) / 1000),
      );
    } else if (e.type === 'incident.resolved' && e.incident.resolved_at) {
      resolveTime.observe(
        { severity: e.incident.severity },
        Math.max(0, (Date.parse(e.incident.resolved_at) - Date.parse(e.incident.detected_at)) / 1000),
      );
    }
  });

  const probeUp = new Gauge({
    name: 'firebreak_probe_up',
    help: 'Health probe state: 1 healthy, 0 failing (absent until checked)',
    labelNames: ['probe', 'type'],
    registers: [registry],
  });
  const probeLatency = new Gauge({
    name: 'firebreak_probe_latency_seconds',
    help: 'Latency of the last probe check',
    labelNames: ['probe', 'type'],
    registers: [registry],
  });
  collectors.push(() => {
    probeUp.reset();
    probeLatency.reset();
    for (const p of opts.probes?.() ?? []) {
      if (p.status === 'up' || p.status === 'ok' || p.status === 'healthy') probeUp.set({ probe: p.name, type: p.type }, 1);
      else if (p.status === 'down' || p.status === 'failing') probeUp.set({ probe: p.name, type: p.type }, 0);
      if (p.latency_ms !== null) probeLatency.set({ probe: p.name, type: p.type }, p.latency_ms / 1000);
    }
  });

  const httpDuration = new Histogram({
    name: 'firebreak_http_request_duration_seconds',
    help: 'HTTP request durations by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    registry,
    addCollector: (fn) => collectors.push(fn),
    route(app, ctx) {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions?.url ?? 'unmatched';
        httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      });
      app.get('/metrics', async (req, reply) => {
        if (ctx?.deps.config.metrics.require_token) await ctx.actor(req, 'read');
        for (const c of collectors) await c();
        return reply.type(registry.contentType).send(await registry.metrics());
      });
    },
  };
}
