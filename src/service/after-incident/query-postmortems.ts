/** Read side of post-mortems: list with filters and cursor, one, and the Markdown document. */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getPostmortem as repoGet, listPostmortems as repoList, type PostmortemRecord } from '../../store/postmortem-repo.ts';
import { listActionItemsOfIncident } from '../../store/action-item-repo.ts';
import { isOverdue, POSTMORTEM_STATUSES, type PostmortemFacts } from '../../domain/postmortem.ts';
import { renderPostmortem } from '../../domain/postmortem-markdown.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import type { Page } from '../incidents/query-incidents.ts';
import { toActionItemView } from './action-item-view.ts';

/** A post-mortem as the API shows it: the record with its facts spread out, plus `overdue`. */
export type PostmortemView = Omit<PostmortemRecord, 'facts'> &
  Pick<
    PostmortemFacts,
    'incident' | 'impact' | 'tta_s' | 'ttr_s' | 'timeline' | 'detections' | 'actions' | 'escalations' | 'responders' | 'sla_breaches'
  > & { overdue: boolean };

export function toPostmortemView(p: PostmortemRecord, now: Date): PostmortemView {
  const { facts, ...rest } = p;
  const { generated_summary: _g, ...shown } = facts;
  return { ...rest, ...shown, overdue: isOverdue(p, now.getTime()) };
}

const bool = z.enum(['true', 'false']).transform((s) => s === 'true');

export const listPostmortemsQuery = z
  .object({
    incident_id: z
      .string()
      .regex(/^\d{1,18}$/, 'must be an incident id')
      .optional(),
    status: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(POSTMORTEM_STATUSES)))
      .optional(),
    overdue: bool.optional(),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'must be a cursor from next_cursor')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

/** Newest first. List items leave out the copied `timeline` (GET one post-mortem for it). */
export async function listPostmortems(
  deps: Deps,
  actor: Actor,
  rawQuery: unknown,
): Promise<Page<Omit<PostmortemView, 'timeline'> & { timeline_count: number }>> {
  authorize(actor, 'read');
  const f = parseInput(listPostmortemsQuery, rawQuery, 'query');
  const now = deps.clock();
  const rows = await repoList(deps.db, {
    incident_id: f.incident_id,
    status: f.status,
    overdue: f.overdue,
    now,
    before: f.cursor,
    limit: f.limit + 1,
  });
  const items = rows.slice(0, f.limit).map((p) => {
    const { timeline, ...rest } = toPostmortemView(p, now);
    return { ...rest, timeline_count: timeline.length };
  });
  return { items, next_cursor: rows.length > f.limit ? items[items.length - 1]!.id : null };
}

export async function getPostmortem(deps: Deps, actor: Actor, id: string): Promise<PostmortemView> {
  authorize(actor, 'read');
  const p = await repoGet(deps.db, id);
  if (!p) throw new AppError('not_found', `post-mortem ${id} not found`);
  return toPostmortemView(p, deps.clock());
}

/** The whole post-mortem as Markdown, with the incident's action items. */
export async function exportPostmortemMarkdown(deps: Deps, actor: Actor, id: string): Promise<string> {
  authorize(actor, 'read');
  const p = await repoGet(deps.db, id);
  if (!p) throw new AppError('not_found', `post-mortem ${id} not found`);
  const now = deps.clock();
  const items = (await listActionItemsOfIncident(deps.db, p.incident_id)).map((a) => toActionItemView(deps, a, now));
  return renderPostmortem({ ...p, overdue: isOverdue(p, now.getTime()) }, items);
}
