/**
 * Turns a level's targets into deliveries (one per target and channel):
 *
 *   channel:NAME   → that channel, no recipient (the channel's own `to`)
 *   person:ID      → each channel in the person's `notify`, with them as recipient
 *   schedule:NAME  → whoever is on call now (rotation + overrides) → as person:ID
 *
 * Targets that reach nobody (unknown names, a gap in the schedule, a person
 * without notify channels) come back as problems, so they are recorded on the
 * timeline instead of silently dropped.
 */
import type { Config } from '../../config.ts';
import { oncallAt, type OnCall } from '../../domain/oncall.ts';
import { listOverrides } from '../../store/schedule-override-repo.ts';
import type { Queryable } from '../../store/db.ts';

export interface Delivery {
  target: string;
  channel: string;
  recipient: string | null;
}

export interface TargetProblem {
  target: string;
  message: string;
}

/** Who is on call for a configured schedule at `at`, with the overrides stored in the database. */
export async function oncallWithOverrides(q: Queryable, schedule: Config['schedules'][number], at: Date): Promise<OnCall> {
  // Overrides that ended long ago cannot change who is on call now (only, at most, where a shift began).
  const overrides = await listOverrides(q, schedule.name, new Date(at.getTime() - 30 * 86_400_000));
  return oncallAt(
    schedule,
    overrides.map((o) => ({ person: o.person, startMs: Date.parse(o.start), endMs: Date.parse(o.end) })),
    at.getTime(),
  );
}

export async function resolveTargets(
  q: Queryable,
  config: Pick<Config, 'channels' | 'people' | 'schedules'>,
  channelNames: ReadonlySet<string>,
  targets: readonly string[],
  at: Date,
): Promise<{ deliveries: Delivery[]; problems: TargetProblem[] }> {
  const deliveries: Delivery[] = [];
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  const add = (d: Delivery) => {
    const k = `${d.target}\u0000${d.channel}`;
    if (!seen.has(k)) {
      seen.add(k);
      deliveries.push(d);
    }
  };
  const person = (target: string, id: string, via: string) => {
    const p = config.people.find((x) => x.id === id);
    if (!p) return problems.push({ target, message: `${via}no person has id "${id}"` });
    if (p.notify.length === 0) return problems.push({ target, message: `${via}${id} has no notify channels` });
    for (const ch of p.notify) add({ target, channel: ch, recipient: id });
  };
  for (const target of targets) {
    const i = target.indexOf(':');
    const kind = target.slice(0, i);
    const ref = target.slice(i + 1);
    if (kind === 'channel') {
      if (channelNames.has(ref)) add({ target, channel: ref, recipient: null });
      else problems.push({ target, message: `no channel is named "${ref}"` });
    } else if (kind === 'person') {
      person(target, ref, '');
    } else if (kind === 'schedule') {
      const s = config.schedules.find((x) => x.name === ref);
      if (!s) {
        problems.push({ target, message: `no schedule is named "${ref}"` });
        continue;
      }
      try {
        const who = await oncallWithOverrides(q, s, at);
        if (who.person === null) problems.push({ target, message: `nobody is on call for schedule ${ref} at ${at.toISOString()}` });
        else person(target, who.person, `on call for ${ref}: `);
      } catch (err) {
        problems.push({ target, message: `schedule ${ref} is unusable: ${(err as Error).message}` });
      }
    } else {
      problems.push({ target, message: `"${target}" is not a target (use channel:NAME, person:ID or schedule:NAME)` });
    }
  }
  return { deliveries, problems };
}
