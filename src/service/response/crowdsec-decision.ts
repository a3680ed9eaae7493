/**
 * Decisions as CrowdSec's Local API shows them to bouncers
 * (pkg/models/localapi_swagger.yaml, definition Decision): integer `id`,
 * `scope` `Ip` or `Range`, `duration` = the time remaining as a Go duration
 * string (negative once expired), `scenario` = the reason. And the query
 * parameters bouncers send, shared by /v1/decisions and /v1/decisions/stream.
 */
import { z } from 'zod';
import { formatGoDuration } from '../../domain/duration.ts';
import type { Decision } from '../../store/decision-repo.ts';
import type { BouncerFilter } from '../../store/bouncer-repo.ts';

export interface CrowdSecDecision {
  id: number;
  origin: string;
  type: string;
  scope: 'Ip' | 'Range';
  value: string;
  duration: string;
  until: string;
  scenario: string;
  simulated: boolean;
}

export function toCrowdSec(d: Decision, now: Date): CrowdSecDecision {
  return {
    id: Number(d.id),
    origin: d.origin,
    type: d.type,
    scope: d.scope === 'range' ? 'Range' : 'Ip',
    value: d.value,
    duration: formatGoDuration(Date.parse(d.until) - now.getTime()),
    until: d.until,
    scenario: d.reason,
    simulated: false,
  };
}

/** CrowdSec answers `null` (Go's nil slice), not `[]`, when nothing matches. */
export function crowdSecList(ds: readonly Decision[], now: Date): CrowdSecDecision[] | null {
  return ds.length === 0 ? null : ds.map((d) => toCrowdSec(d, now));
}

const csv = z
  .string()
  .max(2000)
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/** Query parameters both endpoints accept. Unknown parameters are ignored, as CrowdSec does (newer bouncers send more). */
export const bouncerFilterFields = {
  type: z.string().min(1).max(100).optional(),
  origins: csv.optional(),
  scenarios_containing: csv.optional(),
  scenarios_not_containing: csv.optional(),
};

export const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** `Ip,Range` (any case) → the scopes bouncers may get; others are never sent to bouncers. */
export function bouncerScopes(scopes: readonly string[] | undefined): ('ip' | 'range')[] {
  if (scopes === undefined) return ['ip', 'range'];
  const lower = new Set(scopes.map((s) => s.toLowerCase()));
  return (['ip', 'range'] as const).filter((s) => lower.has(s));
}

export function bouncerFilter(
  q: { type?: string; origins?: string[]; scenarios_containing?: string[]; scenarios_not_containing?: string[] },
  scopes: ('ip' | 'range')[],
): BouncerFilter {
  return {
    scopes,
    type: q.type,
    origins: q.origins,
    scenariosContaining: q.scenarios_containing,
    scenariosNotContaining: q.scenarios_not_containing,
  };
}
