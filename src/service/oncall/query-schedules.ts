/** Read side of on-call schedules: who is on call now and next, at an instant, and the overrides. */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Config } from '../../config.ts';
import { formatDuration } from '../../domain/duration.ts';
import { listOverrides, type ScheduleOverride } from '../../store/schedule-override-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { oncallWithOverrides } from '../escalation/escalation-targets.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function findSchedule(config: Config, name: string): Config['schedules'][number] {
  const s = config.schedules.find((x) => x.name === name);
  if (!s)
    throw new AppError('not_found', `no schedule is named "${name}"`, {
      details: [{ path: 'name', message: `configured: ${config.schedules.map((x) => x.name).join(', ') || '(none)'}` }],
    });
  return s;
}

export interface ScheduleSummary {
  name: string;
  time_zone: string;
  rotation: { every: string; handoff: string; start: string | null; members: string[] };
  now: { person: string | null; until: string | null; source: string };
  next: { person: string | null; from: string } | null;
}

export async function listSchedules(deps: Deps, actor: Actor): Promise<ScheduleSummary[]> {
  authorize(actor, 'read');
  const now = deps.clock();
  const out: ScheduleSummary[] = [];
  for (const s of deps.config.schedules) {
    const cur = await oncallWithOverrides(deps.db, s, now);
    const next = cur.shiftEndMs === null ? null : await oncallWithOverrides(deps.db, s, new Date(cur.shiftEndMs));
    out.push({
      name: s.name,
      time_zone: s.time_zone,
      rotation: {
        every: formatDuration(s.rotation.every),
        handoff: s.rotation.handoff,
        start: s.rotation.start ?? null,
        members: [...s.rotation.members],
      },
      now: { person: cur.person, until: iso(cur.shiftEndMs), source: cur.source },
      next: next && cur.shiftEndMs !== null ? { person: next.person, from: iso(cur.shiftEndMs)! } : null,
    });
  }
  return out;
}

export const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-03-29T01:30:00Z' });

export const oncallQuery = z.object({ at: rfc3339.optional() }).strict();

export async function oncallForSchedule(deps: Deps, actor: Actor, name: string, rawQuery: unknown) {
  authorize(actor, 'read');
  const s = findSchedule(deps.config, name);
  const q = parseInput(oncallQuery, rawQuery ?? {}, 'query');
  const at = q.at ? new Date(q.at) : deps.clock();
  const who = await oncallWithOverrides(deps.db, s, at);
  return {
    schedule: s.name,
    time_zone: s.time_zone,
    at: at.toISOString(),
    person: who.person,
    shift_start: iso(who.shiftStartMs),
    shift_end: iso(who.shiftEndMs),
    source: who.source,
  };
}

export const overridesQuery = z.object({ all: z.enum(['true', 'false']).optional() }).strict();

/** Overrides that have not ended yet (all of them with `all=true`), in the order they apply. */
export async function listScheduleOverrides(deps: Deps, actor: Actor, name: string, rawQuery: unknown): Promise<ScheduleOverride[]> {
  authorize(actor, 'read');
  findSchedule(deps.config, name);
  const q = parseInput(overridesQuery, rawQuery ?? {}, 'query');
  return listOverrides(deps.db, name, q.all === 'true' ? null : deps.clock());
}
