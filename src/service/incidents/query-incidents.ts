/** Read side of incidents: list with filters and cursor, one, timeline. */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { SEVERITIES } from '../../domain/severity.ts';
import { type Incident, INCIDENT_STATUSES } from '../../domain/incident.ts';
import { getIncident as repoGet, listIncidents as repoList } from '../../store/incident-repo.ts';
import { listTimeline, type TimelineEntry } from '../../store/timeline-repo.ts';
import { getRunView, type RunView } from '../runbooks/runbook-run-view.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)));

export const listIncidentsQuery = z
  .object({
    status: csv(INCIDENT_STATUSES).optional(),
    severity: csv(SEVERITIES).optional(),
    type: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .optional(),
    q: z.string().max(200).optional(),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'must be a cursor from next_cursor')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export async function listIncidents(deps: Deps, actor: Actor, rawQuery: unknown): Promise<Page<Incident>> {
  authorize(actor, 'read');
  const f = parseInput(listIncidentsQuery, rawQuery, 'query');
  const rows = await repoList(deps.db, {
    status: f.status,
    severity: f.severity,
    type: f.type,
    q: f.q,
    before: f.cursor,
    limit: f.limit + 1,
  });
  const items = rows.slice(0, f.limit);
  return { items, next_cursor: rows.length > f.limit ? items[items.length - 1]!.id : null };
}

/** One incident; with `run` (its runbook run) when its type has a runbook. */
export async function getIncident(deps: Deps, actor: Actor, id: string): Promise<Incident & { run?: RunView }> {
  authorize(actor, 'read');
  const inc = await repoGet(deps.db, id);
  if (!inc) throw new AppError('not_found', `incident ${id} not found`);
  const run = await getRunView(deps.db, id);
  return run ? { ...inc, run } : inc;
}

export const timelineQuery = z
  .object({
    cursor: z
      .string()
      .regex(/^\d{1,18}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(500),
  })
  .strict();

export async function getTimeline(deps: Deps, actor: Actor, id: string, rawQuery: unknown): Promise<Page<TimelineEntry>> {
  authorize(actor, 'read');
  const f = parseInput(timelineQuery, rawQuery, 'query');
  const inc = await repoGet(deps.db, id);
  if (!inc) throw new AppError('not_found', `incident ${id} not found`);
  const rows = await listTimeline(deps.db, id, { after: f.cursor, limit: f.limit + 1 });
  const items = rows.slice(0, f.limit);
  return { items, next_cursor: rows.length > f.limit ? items[items.length - 1]!.id : null };
}
