/**
 * Metrics of the ingest pipeline's durability: whether accepted events can be
 * stored, failed writes, dead letters, and detections waiting to be handled.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Pipeline } from '../detect/pipeline.ts';

export function registerIngestMetrics(registry: Registry, pipeline: Pipeline, addCollector: (fn: () => void) => void): void {
  const up = new Gauge({
    name: 'firebreak_ingest_storage_up',
    help: '1 while accepted events are being stored, 0 while writes fail (ingestion answers 503)',
    registers: [registry],
  });
  const failedWrites = new Counter({
    name: 'firebreak_ingest_failed_writes_total',
    help: 'Event transactions that failed (their requests were answered 503, nothing accepted)',
    registers: [registry],
  });
  const stored = new Counter({ name: 'firebreak_events_stored_total', help: 'Events stored since start', registers: [registry] });
  const dead = new Gauge({
    name: 'firebreak_dead_letter_events',
    help: 'Events kept as dead letters (could not be stored as events); see GET /api/v1/dead-letters',
    registers: [registry],
  });
  const pendingDetections = new Gauge({
    name: 'firebreak_detections_pending',
    help: 'Detections recorded (or being recorded) and not handled yet, in memory',
    registers: [registry],
  });
  const detectionFailures = new Counter({
    name: 'firebreak_detection_handling_failures_total',
    help: 'Failed attempts at handling a batch of detections (each batch is retried)',
    registers: [registry],
  });
  addCollector(() => {
    const s = pipeline.stats();
    up.set(s.storageFailing ? 0 : 1);
    failedWrites.reset();
    failedWrites.inc(s.persistErrors);
    stored.reset();
    stored.inc(s.persisted);
    dead.set(s.deadLetters);
    pendingDetections.set(s.pendingDetections);
    detectionFailures.reset();
    detectionFailures.inc(s.detectionFailures);
  });
}
