/**
 * Prometheus metrics (`GET /metrics`). One registry per Firebreak instance
 * (no global default registry). Collectors read live state at scrape time;
 * other modules add theirs with `addCollector`.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Pipeline } from '../detect/pipeline.ts';
import type { Bus } from '../service/context.ts';
import { countIncidentsByStatus } from '../store/incident-repo.ts';

export interface Metrics {
  registry: Registry;
  /** A function run before each scrape to refresh gauges/counters from live state. */
  addCollector(fn: () => Promise<void> | void): void;
  route(app: FastifyInstance): void;
}

const DURATION_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800];

export function createMetrics(opts: { db: Db; pipeline: Pipeline; bus: Bus }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'firebreak_process_' });
  const collectors: (() => Promise<void> | void)[] = [];

  const setCounter = (c: Counter<string>, label: string, m: Map<string, number>) => {
    c.reset();
    for (const [k, v] of m) c.inc({ [label]: k }, v);
  };
  const ingested = new Counter({ name: 'firebreak_events_ingested_total', help: 'Events accepted, by type', labelNames: ['type'], registers: [registry] });
  const rejected = new Counter({ name: 'firebreak_events_rejected_total', help: 'Events refused by validation, by type', labelNames: ['type'], registers: [registry] });
  const detections = new Counter({ name: 'firebreak_detections_total', help: 'Rule firings, by rule', labelNames: ['rule'], registers: [registry] });
  const pending = new Gauge({ name: 'firebreak_events_pending_store', help: 'Accepted events waiting to be stored', registers: [registry] });
  collectors.push(() => {
    const s = opts.pipeline.stats();
    setCounter(ingested, 'type', s.byType);
    setCounter(rejected, 'type', s.rejectedByType);
    setCounter(detections, 'rule', s.detectionsByRule);
    pending.set(s.pendingPersist);
  });

  const incidents = new Gauge({ name: 'firebreak_incidents', help: 'Incidents by status and severity', labelNames: ['status', 'severity'], registers: [registry] });
  collectors.push(async () => {
    const counts = await countIncidentsByStatus(opts.db);
    incidents.reset();
    for (const status of ['triggered', 'acknowledged', 'resolved']) for (const severity of ['critical', 'high', 'medium', 'low']) incidents.set({ status, severity }, counts[`${status}:${severity}`] ?? 0);
  });

  const ackTime = new Histogram({ name: 'firebreak_incident_acknowledge_seconds', help: 'Time from detection to acknowledgement', labelNames: ['severity'], buckets: DURATION_BUCKETS, registers: [registry] });
  const resolveTime = new Histogram({ name: 'firebreak_incident_resolve_seconds', help: 'Time from detection to resolution', labelNames: ['severity'], buckets: DURATION_BUCKETS, registers: [registry] });
  opts.bus.subscribe((e) => {
    if (e.type === 'incident.acknowledged' && e.incident.acknowledged_at) {
      ackTime.observe({ severity: e.incident.severity }, Math.max(0, (Date.parse(e.incident.acknowledged_at) - Date.parse(e.incident.detected_at)) / 1000));
    } else if (e.type === 'incident.resolved' && e.incident.resolved_at) {
      resolveTime.observe({ severity: e.incident.severity }, Math.max(0, (Date.parse(e.incident.resolved_at) - Date.parse(e.incident.detected_at)) / 1000));
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
    route(app) {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions?.url ?? 'unmatched';
        httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      });
      app.get('/metrics', async (_req, reply) => {
        for (const c of collectors) await c();
        return reply.type(registry.contentType).send(await registry.metrics());
      });
    },
  };
}
