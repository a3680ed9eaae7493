import { type Incident, ackDeadline } from '../../domain/incident.ts';
import type { Actor, Deps } from '../core/context.ts';
import { transitionIncident } from './transition-incident.ts';
import { scheduleAckTimer } from './open-incident.ts';

/** acknowledged|resolved → triggered: a new acknowledgement deadline starts. */
export function reopenIncident(deps: Deps, actor: Actor, id: string, note?: string): Promise<Incident> {
  return transitionIncident(
    deps,
    actor,
    id,
    {
      verb: 'reopen',
      event: 'incident.reopened',
      changes: (i, now) => ({
        acknowledged_at: null,
        acknowledged_by: null,
        mitigated_at: null,
        resolved_at: null,
        resolved_by: null,
        reopen_count: i.reopen_count + 1,
        ack_deadline: new Date(ackDeadline(i.severity, now.getTime(), deps.config.ackDeadlinesMs)),
      }),
      message: (i, n) => `Re-opened by ${actor.name}; acknowledge by ${i.ack_deadline}${n ? `: ${n}` : ''}`,
      after: (q, i, now) => scheduleAckTimer(q, i, now),
    },
    note,
  );
}
