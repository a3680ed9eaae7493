/**
 * Lifts one decision by hand (DELETE /api/v1/decisions/{id}). Bouncers see it
 * under `deleted` at their next pull. Ending an already ended decision is a
 * conflict (it says how it ended).
 */
import { AppError } from '../../errors.ts';
import { endDecisions, getDecision, lockDecisionChanges, type Decision } from '../../store/decision-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';

export async function deleteDecision(deps: Deps, actor: Actor, id: string): Promise<Decision> {
  authorize(actor, 'decisions:write');
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const d = await getDecision(q, id);
    if (!d) throw new AppError('not_found', `decision ${id} not found`);
    const expired = d.ended_at === null && Date.parse(d.until) <= now.getTime();
    if (d.ended_at !== null || expired) {
      const how =
        d.end_reason === 'deleted'
          ? `was lifted at ${d.ended_at} by ${d.ended_by}`
          : d.end_reason === 'allowlisted'
            ? `was lifted at ${d.ended_at} when its address was allowlisted`
            : `expired at ${d.until}`;
      throw new AppError('conflict', `decision ${id} is not active: it ${how}`);
    }
    await lockDecisionChanges(q);
    const [ended] = await endDecisions(q, [id], { at: now, by: actor.name, reason: 'deleted' });
    if (!ended) throw new AppError('conflict', `decision ${id} was ended concurrently`);
    await recordLift(q, actor, ended, now);
    return ended;
  });
}

/** The audit record and, for a decision tied to an incident, the timeline entry of a lift. */
export async function recordLift(q: Queryable, actor: Actor, d: Decision, now: Date): Promise<void> {
  await writeAudit(q, {
    at: now,
    actor: actor.id,
    action: 'decision.delete',
    target: `decision:${d.id}`,
    ip: actor.ip,
    details: { scope: d.scope, value: d.value, type: d.type },
  });
  if (d.incident_id) {
    await appendTimeline(q, {
      incidentId: d.incident_id,
      at: now,
      kind: 'decision',
      actor: actor.name,
      message: `${d.type} on ${d.scope} ${d.value} lifted by ${actor.name}`,
      data: { decision_id: d.id, scope: d.scope, value: d.value, type: d.type, lifted: true },
    });
  }
}
