/** Read side of action items: list with filters (status, owner, overdue …) and cursor, and one. */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import {
  getActionItem as repoGet,
  listActionItems as repoList,
  ACTION_ITEM_KINDS,
  ACTION_ITEM_STATUSES,
} from '../../store/action-item-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import type { Page } from '../incidents/query-incidents.ts';
import { toActionItemView, type ActionItemView } from './action-item-view.ts';

const id = z.string().regex(/^\d{1,18}$/, 'must be an id');

export const listActionItemsQuery = z
  .object({
    status: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(ACTION_ITEM_STATUSES)))
      .optional(),
    owner: z.string().min(1).max(200).optional(),
    overdue: z
      .enum(['true', 'false'])
      .transform((s) => s === 'true')
      .optional(),
    incident_id: id.optional(),
    postmortem_id: id.optional(),
    kind: z.enum(ACTION_ITEM_KINDS).optional(),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'must be a cursor from next_cursor')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export async function listActionItems(deps: Deps, actor: Actor, rawQuery: unknown): Promise<Page<ActionItemView>> {
  authorize(actor, 'read');
  const f = parseInput(listActionItemsQuery, rawQuery, 'query');
  const now = deps.clock();
  const rows = await repoList(deps.db, { ...f, before: f.cursor, now, limit: f.limit + 1 });
  const items = rows.slice(0, f.limit).map((a) => toActionItemView(deps, a, now));
  return { items, next_cursor: rows.length > f.limit ? items[items.length - 1]!.id : null };
}

export async function getActionItem(deps: Deps, actor: Actor, itemId: string): Promise<ActionItemView> {
  authorize(actor, 'read');
  const a = await repoGet(deps.db, itemId);
  if (!a) throw new AppError('not_found', `action item ${itemId} not found`);
  return toActionItemView(deps, a, deps.clock());
}
