import { cancelTimer } from '../../store/timer-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { transitionIncident } from './transition-incident.ts';
import { ACK_TIMER } from './open-incident.ts';
import type { Incident } from '../../domain/incident.ts';

/** triggered|acknowledged → resolved. */
export function resolveIncident(deps: Deps, actor: Actor, id: string, note?: string): Promise<Incident> {
  return transitionIncident(
    deps,
    actor,
    id,
    {
      verb: 'resolve',
      event: 'incident.resolved',
      changes: (_i, now) => ({ resolved_at: now, resolved_by: actor.name }),
      message: (_i, n) => `Resolved by ${actor.name}${n ? `: ${n}` : ''}`,
      after: (q, i) => cancelTimer(q, ACK_TIMER, i.id),
    },
    note,
  );
}
