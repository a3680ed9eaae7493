/**
 * Shared body of the acknowledge / resolve / reopen verbs: lock the row, ask
 * the domain whether the transition is allowed, write the change, the timeline
 * entry and the audit record in one transaction, then publish.
 */
import { AppError } from '../../errors.ts';
import { type Incident, nextStatus, type IncidentVerb } from '../../domain/incident.ts';
import { getIncident, updateIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Actor, Deps, DomainEvent } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';

export interface TransitionSpec {
  verb: IncidentVerb;
  event: DomainEvent['type'];
  /** Columns to set, given the locked incident. */
  changes(incident: Incident, now: Date): Parameters<typeof updateIncident>[2];
  message(incident: Incident, note?: string): string;
  /** Timer work in the same transaction. */
  after?(q: Queryable, updated: Incident, now: Date): Promise<void>;
}

export async function transitionIncident(deps: Deps, actor: Actor, id: string, spec: TransitionSpec, note?: string): Promise<Incident> {
  authorize(actor, 'incidents:write');
  const updated = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const current = await getIncident(q, id, true);
    if (!current) throw new AppError('not_found', `incident ${id} not found`);
    const to = nextStatus(current.status, spec.verb);
    if (to === null) {
      throw new AppError('conflict', `cannot ${spec.verb} incident ${id}: it is ${current.status}`, {
        details: [{ path: 'status', message: `${current.status} --${spec.verb}--> is not a valid transition` }],
      });
    }
    const next = await updateIncident(q, id, { status: to, updated_at: now, ...spec.changes(current, now) });
    await appendTimeline(q, {
      incidentId: id,
      at: now,
      kind: spec.verb === 'acknowledge' ? 'acknowledged' : spec.verb === 'resolve' ? 'resolved' : 'reopened',
      actor: actor.name,
      message: spec.message(next, note),
      data: note ? { note } : undefined,
    });
    await writeAudit(q, { at: now, actor: actor.id, action: `incident.${spec.verb}`, target: `incident:${id}`, ip: actor.ip });
    await spec.after?.(q, next, now);
    return next;
  });
  deps.bus.publish({ type: spec.event, incident: updated } as DomainEvent);
  return updated;
}
