/**
 * The configuration of detection (config.ts assembles it): rule overrides
 * on the defaults (`rules:`), log sources (`sources:`, docs/log-sources.md)
 * and health probes (`probes:`).
 */
import { z } from 'zod';
import { parseCidr } from './domain/ip.ts';
import { SSHD_MODES } from './detect/parsers/sshd-messages.ts';
import { compileLogFormat } from './detect/parsers/nginx-format.ts';
import { durationSchema, severitySchema, timeZoneSchema } from './config-primitives.ts';

export const ruleOverrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    description: z.string().optional(),
    incident_type: z.string().optional(),
    severity: severitySchema.optional(),
    /** Event types this rule counts, with optional field filters. */
    match: z
      .array(
        z.object({
          type: z.string(),
          where: z
            .array(
              z.object({ field: z.string(), op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']), value: z.union([z.string(), z.number()]) }),
            )
            .optional(),
        }),
      )
      .optional(),
    key: z.enum(['ip', 'user_id', 'global', 'route']).optional(),
    value: z
      .union([
        z.object({ kind: z.literal('count') }),
        z.object({ kind: z.literal('distinct'), field: z.string() }),
        z.object({
          kind: z.literal('percentile'),
          field: z.string(),
          p: z.number().gt(0).lte(100),
          min_samples: z.number().int().min(1).optional(),
        }),
      ])
      .optional(),
    threshold: z.number().positive().optional(),
    /** `gte`: fire when the value reaches the threshold; `gt`: when it exceeds it. */
    op: z.enum(['gte', 'gt']).optional(),
    window: durationSchema.optional(),
    cooldown: durationSchema.optional(),
    ban: durationSchema.optional(),
    min_samples: z.number().int().min(1).optional(),
    actions: z.array(z.record(z.string(), z.unknown())).optional(),
    /**
     * Campaigns (README "Campaigns"): a detection for a new key joins an open
     * incident of this rule that grew within `window`; `false` turns it off.
     */
    group: z
      .union([
        z.literal(false),
        z
          .object({
            window: durationSchema.refine((ms) => ms >= 1_000 && ms <= 7 * 86_400_000, 'must be between 1s and 7d'),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict();
export type RuleOverride = z.infer<typeof ruleOverrideSchema>;

// Log sources (docs/log-sources.md). Options only where their format reads them.
const sshdModeSchema = z.enum(SSHD_MODES);
const fileSourceSchema = z
  .object({
    name: z.string().optional(),
    type: z.literal('file'),
    path: z.string().min(1),
    format: z.enum(['sshd', 'nginx', 'nginx-error', 'ndjson']),
    year: z.number().int().optional(),
    time_zone: timeZoneSchema.optional(),
    mode: sshdModeSchema.optional(),
    log_format: z.string().min(1).optional(),
    trusted_proxies: z.array(z.string().refine((c) => parseCidr(c) !== null, { message: 'not an address or CIDR' })).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const only = (key: keyof typeof s, formats: string[]) => {
      if (s[key] !== undefined && !formats.includes(s.format))
        ctx.addIssue({ code: 'custom', path: [key], message: `only for format ${formats.join(' or ')}` });
    };
    only('mode', ['sshd']);
    only('log_format', ['nginx']);
    only('trusted_proxies', ['nginx']);
    only('time_zone', ['sshd', 'nginx-error']);
    if (s.log_format !== undefined) {
      try {
        compileLogFormat(s.log_format);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['log_format'], message: (err as Error).message });
      }
    }
  });
const journaldSourceSchema = z
  .object({
    name: z.string().optional(),
    type: z.literal('journald'),
    /** systemd units to follow (`journalctl -u`); sshd's unit is `ssh.service` on Debian, `sshd.service` elsewhere. */
    units: z.array(z.string().min(1)).min(1).default(['ssh.service', 'sshd.service']),
    mode: sshdModeSchema.optional(),
    /** The journalctl executable (a path or a name looked up in PATH). */
    journalctl: z.string().min(1).default('journalctl'),
  })
  .strict();
export const sourceSchema = z.discriminatedUnion('type', [fileSourceSchema, journaldSourceSchema]);
export type SourceConfig = z.infer<typeof sourceSchema>;

export const probeSchema = z
  .object({
    name: z.string().min(1),
    type: z.enum(['http', 'postgres', 'redis', 'tcp']),
    url: z.string().min(1),
    interval: durationSchema.default(10_000),
    timeout: durationSchema.default(5_000),
    failures: z.number().int().min(1).default(3),
    expect_status: z.number().int().min(100).max(599).optional(),
    incident_type: z.string().optional(),
    severity: severitySchema.optional(),
  })
  .strict();
