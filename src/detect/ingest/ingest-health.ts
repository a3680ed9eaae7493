/**
 * The ingest pipeline's parts of the detailed health report: `ingest`
 * (storage of accepted events: down while writes fail, which also makes
 * `/readyz` answer 503 so a load balancer sends events elsewhere) and
 * `detection` (the rules and the handling of their detections).
 */
import type { Pipeline } from '../pipeline.ts';

type Status = 'ok' | 'degraded' | 'down';

export function ingestHealth(pipeline: Pipeline): { status: Status; [k: string]: unknown } {
  const s = pipeline.stats();
  return {
    status: s.storageFailing ? 'down' : 'ok',
    storing: s.storageFailing ? 'failing: ingestion answers 503 with Retry-After until a write succeeds' : 'ok',
    pending_store: s.pendingPersist,
    stored_events: s.persisted,
    failed_writes: s.persistErrors,
    dead_letters: s.deadLetters,
    ...(s.lastPersistError ? { last_error: s.lastPersistError } : {}),
  };
}

/** Why ingestion should get no traffic now, or null. */
export function ingestNotReady(pipeline: Pipeline): string | null {
  const s = pipeline.stats();
  return s.storageFailing ? `events cannot be stored: ${s.lastPersistError ?? 'unknown error'}` : null;
}

export function detectionHealth(pipeline: Pipeline): { status: Status; [k: string]: unknown } {
  const s = pipeline.stats();
  const e = pipeline.engineStats();
  return {
    status: s.detectionLastError ? 'degraded' : 'ok',
    rules: pipeline.rules.map((r) => r.name),
    events_accepted: s.accepted,
    events_rejected: s.rejected,
    detections: s.detections,
    pending_detections: s.pendingDetections,
    failed_detection_attempts: s.detectionFailures,
    reraised_detections: s.reraisedDetections,
    rebuilt_events: s.rebuiltEvents,
    keys: e.keys,
    evicted_keys: e.evictedKeys,
    dropped_keys: e.droppedKeys,
    ...(s.detectionLastError ? { last_error: s.detectionLastError } : {}),
  };
}
