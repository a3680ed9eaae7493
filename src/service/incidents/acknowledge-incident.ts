import { cancelTimer } from '../../store/timer-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { transitionIncident } from './transition-incident.ts';
import { ACK_TIMER } from './open-incident.ts';
import type { Incident } from '../../domain/incident.ts';

/** triggered → acknowledged. Stops the acknowledgement clock and escalation. */
export function acknowledgeIncident(deps: Deps, actor: Actor, id: string, note?: string): Promise<Incident> {
  return transitionIncident(
    deps,
    actor,
    id,
    {
      verb: 'acknowledge',
      event: 'incident.acknowledged',
      changes: (i, now) => ({ acknowledged_at: i.acknowledged_at ? new Date(i.acknowledged_at) : now, acknowledged_by: actor.name }),
      message: (i, n) => `Acknowledged by ${actor.name}${i.sla_breached ? ' (after the deadline)' : ''}${n ? `: ${n}` : ''}`,
      after: (q, i) => cancelTimer(q, ACK_TIMER, i.id),
    },
    note,
  );
}
