/**
 * Parameter pieces shared by the actions' schemas. A duration may be given
 * as `duration_ms` (rules and runbooks resolve to this) or `duration`
 * (`1h`, `90m`, or seconds); both become `duration_ms`, checked against the
 * decision limits.
 */
import { z } from 'zod';
import { parseDuration, formatDuration } from '../domain/duration.ts';
import { MAX_DURATION_MS, MIN_DURATION_MS } from './decision-target.ts';

const limits = `between ${formatDuration(MIN_DURATION_MS)} and 10 years`;

/** `duration` / `duration_ms` → `duration_ms` (optional); rejects zero, negative and absurd values. */
export const durationFields = {
  duration: z.union([z.string(), z.number()]).optional(),
  duration_ms: z.number().optional(),
};

export function resolveDuration<T extends { duration?: string | number; duration_ms?: number }>(
  p: T,
  ctx: z.RefinementCtx,
): Omit<T, 'duration'> {
  const { duration, ...rest } = p;
  if (duration === undefined) {
    if (rest.duration_ms !== undefined && !(rest.duration_ms >= MIN_DURATION_MS && rest.duration_ms <= MAX_DURATION_MS)) {
      ctx.addIssue({ code: 'custom', path: ['duration_ms'], message: `must be ${limits}` });
    }
    return rest;
  }
  if (rest.duration_ms !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['duration'], message: 'give duration or duration_ms, not both' });
    return rest;
  }
  const ms = typeof duration === 'number' ? duration * 1000 : parseDuration(duration);
  if (ms === null || !Number.isFinite(ms))
    ctx.addIssue({ code: 'custom', path: ['duration'], message: `"${String(duration)}" is not a duration (use 30m, 1h, 7d)` });
  else if (!(ms >= MIN_DURATION_MS && ms <= MAX_DURATION_MS))
    ctx.addIssue({ code: 'custom', path: ['duration'], message: `must be ${limits}` });
  else return { ...rest, duration_ms: ms };
  return rest;
}

export const reasonField = z.string().trim().min(1).max(500).optional();
