import { z } from 'zod';
import { computeAnalytics as compute, GROUP_BYS, type AnalyticsReport } from '../../domain/analytics.ts';
import { incidentsDetectedBetween, ipDecisionCounts } from '../../store/analytics-repo.ts';
import { parseDuration } from '../../domain/duration.ts';
import { AppError } from '../../errors.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';

const time = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-03-01T00:00:00Z' });

/** `from`/`to` are RFC 3339 times (`to` defaults to now); `since` (e.g. `30d`) is the alternative to `from`. Default: the last 30 days. */
export const analyticsQuery = z
  .object({
    from: time.optional(),
    to: time.optional(),
    since: z
      .string()
      .refine((s) => parseDuration(s) !== null, 'must be a duration like 30d or 12h')
      .optional(),
    group_by: z.enum(GROUP_BYS).default('type'),
    top: z.coerce.number().int().min(1).max(100).default(10),
  })
  .strict();

export type AnalyticsResult = AnalyticsReport & { decisions_counted: boolean };

/** Incident analytics over a period (see src/domain/analytics.ts for every definition). */
export async function computeAnalytics(deps: Deps, actor: Actor, rawQuery: unknown): Promise<AnalyticsResult> {
  authorize(actor, 'read');
  const f = parseInput(analyticsQuery, rawQuery, 'query');
  if (f.from && f.since)
    throw new AppError('invalid', 'invalid query: give from or since, not both', {
      details: [{ path: 'since', message: 'not together with from' }],
    });
  const to = f.to ? new Date(f.to) : deps.clock();
  const from = f.from ? new Date(f.from) : new Date(to.getTime() - (f.since ? parseDuration(f.since)! : 30 * 86_400_000));
  if (from.getTime() >= to.getTime())
    throw new AppError('invalid', `invalid query: from (${from.toISOString()}) must be before to (${to.toISOString()})`, {
      details: [{ path: 'from', message: 'must be before to' }],
    });
  const incidents = await incidentsDetectedBetween(deps.db, from, to);
  const decisions = await ipDecisionCounts(deps.db, from, to);
  const report = compute(incidents, {
    fromMs: from.getTime(),
    toMs: to.getTime(),
    groupBy: f.group_by,
    decisionsByAddress: decisions ?? undefined,
    top: f.top,
  });
  return { ...report, decisions_counted: decisions !== null };
}
