/** Someone covers a schedule for [start, end) instead of the rotation (later overrides win where they overlap). */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { insertOverride, type ScheduleOverride } from '../../store/schedule-override-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { findSchedule, rfc3339 } from './query-schedules.ts';

export const addOverrideInput = z.object({ person: z.string().min(1).max(200), start: rfc3339, end: rfc3339 }).strict();

export async function addScheduleOverride(deps: Deps, actor: Actor, scheduleName: string, raw: unknown): Promise<ScheduleOverride> {
  authorize(actor, 'incidents:write');
  const schedule = findSchedule(deps.config, scheduleName);
  const input = parseInput(addOverrideInput, raw);
  const details = [];
  if (!deps.config.people.some((p) => p.id === input.person)) {
    details.push({
      path: 'person',
      message: `no person has id "${input.person}" (people: ${deps.config.people.map((p) => p.id).join(', ') || 'none configured'})`,
    });
  }
  const start = new Date(input.start);
  const end = new Date(input.end);
  if (end.getTime() <= start.getTime()) details.push({ path: 'end', message: 'must be after start' });
  if (details.length > 0)
    throw new AppError('invalid', `invalid override: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const o = await insertOverride(q, {
      id: `ovr_${randomBytes(6).toString('hex')}`,
      schedule: schedule.name,
      person: input.person,
      start,
      end,
      createdAt: now,
      createdBy: actor.name,
    });
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'schedule.override.add',
      target: `schedule:${schedule.name}`,
      ip: actor.ip,
      details: { id: o.id, person: o.person, start: o.start, end: o.end },
    });
    return o;
  });
}
