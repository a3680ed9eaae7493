/**
 * Rebuild at start: the stored events of the longest window (+ cooldown, + 1 h
 * of slack for late log lines) run through the rule engine again, batch by
 * batch in the order they were stored (the order the live engine saw them),
 * so windows and cooldowns continue where they were.
 *
 * Detections fired on the way were normally handled before the restart; a
 * firing with no record in the `detections` table is one the process did not
 * live to record (its events were stored, it died before the detection was):
 * it is re-raised, so a kill at the wrong moment never loses an attack.
 * Records are written before handling, so "recorded" covers every firing
 * that was ever handled.
 */
import type { Db } from '../../store/db.ts';
import type { Detection, FbEvent } from '../../domain/event.ts';
import type { RuleEngine } from '../../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import { firstBatchWithin, loadEventBatchesSince } from '../../store/event-repo.ts';
import { detectionIdentity, recordedDetections } from '../../store/detection-repo.ts';

/** Events replayed at most (the newest ones). */
const MAX_EVENTS = 5_000_000;
const PAGE = 100;

export async function rebuildWindows(
  db: Db,
  engine: RuleEngine,
  rules: readonly RuleSpec[],
  now: Date,
): Promise<{ events: number; reraised: Detection[]; invalid: number; invalidError: string | null }> {
  const horizonUs = Math.max(0, ...rules.map((r) => r.windowUs + r.cooldownUs));
  const sinceUs = now.getTime() * 1000 - horizonUs - 3_600_000_000;
  let afterId = await firstBatchWithin(db, sinceUs, MAX_EVENTS);
  let n = 0;
  let invalid = 0;
  let invalidError: string | null = null;
  const fired: Detection[] = [];
  for (;;) {
    const batches = await loadEventBatchesSince(db, sinceUs, afterId, PAGE);
    for (const b of batches) {
      invalid += b.invalid;
      invalidError ??= b.invalidError;
      for (const ev of b.events as FbEvent[]) {
        if (!(ev.tsUs > sinceUs)) continue;
        n++;
        const ds = engine.process(ev);
        for (const d of ds) fired.push(d);
      }
      afterId = b.id;
    }
    if (batches.length < PAGE) break;
  }
  const reraised: Detection[] = [];
  for (let i = 0; i < fired.length; i += 1000) {
    const chunk = fired.slice(i, i + 1000);
    const known = await recordedDetections(db, chunk);
    for (const d of chunk) if (!known.has(detectionIdentity(d.rule, d.key, d.atUs))) reraised.push(d);
  }
  return { events: n, reraised, invalid, invalidError };
}
