/**
 * Action ids are deterministic: the same action for the same incident, step,
 * target and re-open count always has the same id, so replaying a detection,
 * re-running `firebreak respond` or a runbook step finds the recorded run
 * instead of acting twice. A re-opened incident (reopen_count + 1) acts again.
 * The id is also the `Idempotency-Key` receivers see.
 */
import { createHash } from 'node:crypto';

export interface ActionIdParts {
  incidentId: string;
  /** The runbook step id, or the action name for a rule's or an API's actions. */
  step: string;
  action: string;
  /** The derived target key (`ip:203.0.113.5`, `user:42`, `notify:security`). */
  target: string;
  reopenCount: number;
}

export function actionId(p: ActionIdParts): string {
  const h = createHash('sha256')
    .update([p.incidentId, p.step, p.action, p.target, String(p.reopenCount)].join('\n'))
    .digest('hex');
  return `act_${h.slice(0, 32)}`;
}
