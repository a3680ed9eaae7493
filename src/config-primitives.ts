/**
 * The small schemas the configuration's parts share (config.ts assembles
 * them): durations, severities, addresses and time zones.
 */
import { z } from 'zod';
import { parseDuration } from './domain/duration.ts';
import { SEVERITIES } from './domain/severity.ts';
import { parseCidr } from './domain/ip.ts';
import { isTimeZone } from './detect/parsers/time-zone.ts';

/** A duration string (`30s`, `10m`, `1h`, `7d`) parsed to milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a non-negative duration' });
      return z.NEVER;
    }
    return v * 1000; // bare numbers are seconds
  }
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use 30s, 10m, 1h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

export const severitySchema = z.enum(SEVERITIES);

export const cidrString = z
  .string()
  .trim()
  .refine((s) => parseCidr(s) !== null, { message: 'must be an IP address or CIDR range, e.g. 198.51.100.0/24' });

export const timeZoneSchema = z.string().refine(isTimeZone, { message: 'unknown time zone: an IANA name such as Europe/Berlin, or UTC' });
