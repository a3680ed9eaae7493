/**
 * The configuration of who is told and how (config.ts assembles it):
 * channels, people, on-call schedules and escalation policies, and the
 * checks zod cannot make of them (names that point at other entries).
 */
import { z } from 'zod';
import type { ErrorDetail } from './errors.ts';
import { scheduleProblems } from './domain/oncall.ts';
import { durationSchema } from './config-primitives.ts';

export const channelSchema = z.discriminatedUnion('type', [
  z.object({ name: z.string().min(1), type: z.literal('webhook'), url: z.string().url(), secret: z.string().optional() }).strict(),
  z.object({ name: z.string().min(1), type: z.literal('slack'), url: z.string().url() }).strict(),
  z.object({ name: z.string().min(1), type: z.literal('teams'), url: z.string().url() }).strict(),
  z
    .object({
      name: z.string().min(1),
      type: z.literal('email'),
      smtp_url: z.string().min(1),
      from: z.string().min(3),
      to: z.array(z.string()).optional(),
    })
    .strict(),
  z.object({ name: z.string().min(1), type: z.literal('log') }).strict(),
]);

export const personSchema = z
  .object({ id: z.string().min(1), name: z.string().optional(), email: z.string().optional(), notify: z.array(z.string()).default([]) })
  .strict();

export const scheduleSchema = z
  .object({
    name: z.string().min(1),
    time_zone: z.string().default('UTC'),
    rotation: z
      .object({
        every: durationSchema,
        handoff: z
          .string()
          .regex(/^\d{2}:\d{2}$/, 'must be HH:MM')
          .default('09:00'),
        start: z.string().optional(),
        members: z.array(z.string()).min(1),
      })
      .strict(),
  })
  .strict();

const levelSchema = z
  .object({
    name: z.string().optional(),
    notify: z.array(z.string().regex(/^(channel|person|schedule):.+$/, 'targets are channel:NAME, person:ID or schedule:NAME')),
    timeout: durationSchema.optional(),
  })
  .strict();

export const policySchema = z
  .object({ levels: z.array(levelSchema).min(1), level_timeout: durationSchema.optional(), repeat: z.number().int().min(0).default(0) })
  .strict();

/** The on-call part of a parsed configuration. */
export interface OncallConfig {
  channels: z.output<typeof channelSchema>[];
  people: z.output<typeof personSchema>[];
  schedules: z.output<typeof scheduleSchema>[];
  escalation_policies: Record<string, z.output<typeof policySchema>>;
}

/**
 * Checks what zod cannot: names that point at other entries. Unique channel
 * names, person ids and schedule names; every `person.notify` entry is a
 * channel; schedule members are people (and the schedule's time zone and
 * rotation are usable); every policy target names an existing channel, person
 * or schedule. Every problem is listed with its path.
 */
export function crossReferenceProblems(c: OncallConfig): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const names = (items: readonly { [k: string]: unknown }[], key: string, where: string): Set<string> => {
    const seen = new Map<string, number>();
    items.forEach((it, i) => {
      const v = String(it[key]);
      if (seen.has(v)) problems.push({ path: `${where}[${i}].${key}`, message: `"${v}" is already used by ${where}[${seen.get(v)}]` });
      else seen.set(v, i);
    });
    return new Set(seen.keys());
  };
  const channels = names(c.channels, 'name', 'channels');
  const people = names(c.people, 'id', 'people');
  const schedules = names(c.schedules, 'name', 'schedules');
  c.people.forEach((p, i) =>
    p.notify.forEach((ch, j) => {
      if (!channels.has(ch)) problems.push({ path: `people[${i}].notify[${j}]`, message: `no channel is named "${ch}"` });
    }),
  );
  c.schedules.forEach((s, i) => {
    for (const m of scheduleProblems(s)) problems.push({ path: `schedules[${i}]`, message: m });
    s.rotation.members.forEach((m, j) => {
      if (!people.has(m))
        problems.push({ path: `schedules[${i}].rotation.members[${j}]`, message: `no person has id "${m}" (add it under people:)` });
    });
  });
  const known: Record<string, Set<string>> = { channel: channels, person: people, schedule: schedules };
  for (const [name, policy] of Object.entries(c.escalation_policies)) {
    policy.levels.forEach((level, i) =>
      level.notify.forEach((target, j) => {
        const [kind, ...rest] = target.split(':');
        const ref = rest.join(':');
        if (known[kind!] && !known[kind!]!.has(ref)) {
          problems.push({ path: `escalation_policies.${name}.levels[${i}].notify[${j}]`, message: `no ${kind} is named "${ref}"` });
        }
      }),
    );
  }
  return problems;
}
