import { getIncident, updateIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Deps } from '../core/context.ts';
import { formatDuration } from '../../domain/duration.ts';

/**
 * Timer handler for `ack_deadline`: when the incident is still unacknowledged
 * at its deadline, the breach is recorded on the timeline (once per deadline).
 * Runs inside the scheduler's transaction, so it fires exactly once.
 */
export async function recordSlaBreach(
  deps: Deps,
  q: Queryable,
  incidentId: string,
  payload: { deadline?: string },
  now: Date,
): Promise<boolean> {
  const inc = await getIncident(q, incidentId, true);
  if (!inc || inc.status !== 'triggered') return false;
  if (payload.deadline && payload.deadline !== inc.ack_deadline) return false; // stale: the deadline moved
  const updated = await updateIncident(q, incidentId, {
    sla_breached_at: inc.sla_breached_at ? new Date(inc.sla_breached_at) : now,
    updated_at: now,
  });
  const late = formatDuration(Math.max(0, now.getTime() - Date.parse(inc.ack_deadline)));
  await appendTimeline(q, {
    incidentId,
    at: now,
    kind: 'sla_breach',
    actor: 'system',
    message: `SLA breach: not acknowledged by the ${inc.severity} deadline ${inc.ack_deadline} (${formatDuration(deps.config.ackDeadlinesMs[inc.severity])} after opening)${late !== '0s' ? `, noticed ${late} late` : ''}`,
    data: { deadline: inc.ack_deadline, severity: inc.severity },
  });
  deps.bus.publish({ type: 'incident.changed', incident: updated });
  return true;
}
