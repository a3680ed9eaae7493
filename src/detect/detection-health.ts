/**
 * The `detection` part of /api/health/detailed: ingestion figures, the rule
 * engine's key tables, and what is wrong now (not what was wrong once).
 *
 * | condition                                                      | status   |
 * |----------------------------------------------------------------|----------|
 * | storing events failed and no batch has been stored since, with | degraded |
 * | events waiting                                                 |          |
 * | a rule evicted live keys at its key cap within its last window | degraded |
 * | otherwise                                                      | ok       |
 *
 * Recovery clears it: a storage error is shown (`last_error`) only until a
 * batch is stored again, and a rule stops being degraded one window after its
 * last dropped key (what was lost no longer counts by then). The totals
 * (`dropped_keys`, `store_errors`) stay, for the record.
 */
import type { PipelineStats } from './pipeline.ts';
import type { RuleEngine } from '../domain/rules/rule-engine.ts';

type EngineStats = ReturnType<RuleEngine['stats']>;

export interface DetectionHealthSource {
  stats(): PipelineStats;
  engineStats(): EngineStats;
}

export interface DetectionHealth {
  status: 'ok' | 'degraded';
  [k: string]: unknown;
}

/** Returns the health check; it remembers which storage error it has seen, to tell when one is over. */
export function createDetectionHealth(source: DetectionHealthSource, ruleNames: readonly string[]): () => Promise<DetectionHealth> {
  let errorsSeen = 0;
  let storedAtError = 0;
  return async () => {
    const s = source.stats();
    const e = source.engineStats();
    if (s.persistErrors !== errorsSeen) {
      errorsSeen = s.persistErrors;
      storedAtError = s.persisted;
    }
    // The pipeline keeps its last error string; it is current while nothing was stored after it.
    const storeError = s.lastPersistError !== null && s.persisted === storedAtError ? s.lastPersistError : null;
    const capped = (e.rules ?? []).filter((r) => r.droppedKeys > 0);
    const dropping = capped.filter((r) => r.dropping).map((r) => r.rule);
    const problems: string[] = [];
    if (storeError && s.pendingPersist > 0) problems.push(`storing events fails: ${s.pendingPersist} waiting`);
    for (const r of capped.filter((x) => x.dropping))
      problems.push(`rule ${r.rule} is at its key cap (${r.maxKeys}): ${r.droppedKeys} live keys evicted so far`);
    return {
      status: problems.length > 0 ? 'degraded' : 'ok',
      ...(problems.length > 0 ? { problems } : {}),
      rules: [...ruleNames],
      events_accepted: s.accepted,
      events_rejected: s.rejected,
      detections: s.detections,
      pending_store: s.pendingPersist,
      pending_detections: s.pendingDetections,
      rebuilt_events: s.rebuiltEvents,
      store_errors: s.persistErrors,
      keys: e.keys,
      evicted_keys: e.evictedKeys,
      dropped_keys: e.droppedKeys,
      ...(capped.length > 0
        ? {
            key_cap: Object.fromEntries(
              capped.map((r) => [r.rule, { keys: r.keys, max_keys: r.maxKeys, dropped_keys: r.droppedKeys, dropping: r.dropping }]),
            ),
          }
        : {}),
      ...(dropping.length > 0 ? { dropping_rules: dropping } : {}),
      ...(storeError ? { last_error: storeError } : {}),
    };
  };
}
