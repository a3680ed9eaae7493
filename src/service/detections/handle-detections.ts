/**
 * A batch of detections from the pipeline (issue #13): enforcement first,
 * in a few multi-row transactions; the rest follows behind.
 *
 *   1. placement     each rule's detections, in firing order, into incidents:
 *                    dedup by key, campaign membership, or a new incident
 *                    (place-detections.ts; new incidents are few: one per campaign)
 *   2. enforcement   every ban / rate limit of the batch decided in transactions of up
 *                    to 1,000 (run-local-actions.ts, phase A), then the campaigns' range
 *                    bans: on the bouncer stream and the middleware when they commit
 *   3. behind        the bans' run records, timeline entries and audit (returned as
 *                    `behind`: the detection queue writes them while the next batch is
 *                    decided), then remote actions (webhooks, notify) in the background
 *                    with durable retries; the runbook run and escalation start from the
 *                    incident's `incident.opened` event; the "+N addresses" entry on a timer
 *
 * Rules without `group` keep the one-detection path (handle-detection.ts), in
 * firing order. Idempotent as a whole: the pipeline retries a batch that
 * threw, and a detection handled twice finds its incident, members and action
 * runs in place (deterministic action ids).
 */
import type { DetectionJob, DetectionsHandled } from '../../domain/event.ts';
import type { Deps } from '../core/context.ts';
import type { RespondDeps } from '../response/respond-deps.ts';
import { handleGrouped } from './handle-grouped.ts';
import { handleDetection } from './handle-detection.ts';

export async function handleDetections(deps: Deps | RespondDeps, batch: readonly DetectionJob[]): Promise<DetectionsHandled> {
  const grouped = batch.filter((j) => j.rule.groupWindowUs !== undefined);
  const behind = grouped.length > 0 ? (await handleGrouped(deps, grouped)).behind : undefined;
  for (const j of batch) if (j.rule.groupWindowUs === undefined) await handleDetection(deps, j.d, j.rule);
  return behind ? { behind } : {};
}
