import { AppError } from '../../errors.ts';
import { deleteOverride, type ScheduleOverride } from '../../store/schedule-override-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { findSchedule } from './query-schedules.ts';

/** Removes an override; the rotation (or another override) covers that time again. */
export async function removeScheduleOverride(deps: Deps, actor: Actor, scheduleName: string, id: string): Promise<ScheduleOverride> {
  authorize(actor, 'incidents:write');
  findSchedule(deps.config, scheduleName);
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const o = await deleteOverride(q, scheduleName, id);
    if (!o) throw new AppError('not_found', `schedule ${scheduleName} has no override ${id}`);
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'schedule.override.remove',
      target: `schedule:${scheduleName}`,
      ip: actor.ip,
      details: { id, person: o.person, start: o.start, end: o.end },
    });
    return o;
  });
}
