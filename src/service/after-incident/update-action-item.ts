import { z } from 'zod';
import { AppError } from '../../errors.ts';
import {
  getActionItem,
  updateActionItem as repoUpdate,
  ACTION_ITEM_KINDS,
  ACTION_ITEM_STATUSES,
  type ActionItemChanges,
} from '../../store/action-item-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { toActionItemView, type ActionItemView } from './action-item-view.ts';
import { syncActionItemReminders } from './action-item-reminders.ts';
import { dueTime, runbookFile } from './create-action-item.ts';

export const updateActionItemInput = z
  .object({
    title: z.string().trim().min(1, 'must not be empty').max(300).optional(),
    description: z.string().max(20_000).optional(),
    owner: z.string().trim().min(1).max(200).nullable().optional(),
    due: dueTime.nullable().optional(),
    status: z.enum(ACTION_ITEM_STATUSES).optional(),
    kind: z.enum(ACTION_ITEM_KINDS).optional(),
    runbook_file: runbookFile.nullable().optional(),
  })
  .strict();

/**
 * Changes an action item (responder or admin). Status: open → done | dropped
 * closes it (reminders stop); done | dropped → open re-opens it. A new due
 * date re-arms the reminders. Status changes go on the incident's timeline.
 */
export async function updateActionItem(deps: Deps, actor: Actor, id: string, raw: unknown): Promise<ActionItemView> {
  authorize(actor, 'incidents:write');
  const input = parseInput(updateActionItemInput, raw);
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const item = await getActionItem(q, id, true);
    if (!item) throw new AppError('not_found', `action item ${id} not found`);
    const set: ActionItemChanges = {};
    if (input.title !== undefined && input.title !== item.title) set.title = input.title;
    if (input.description !== undefined && input.description !== item.description) set.description = input.description;
    if (input.owner !== undefined && input.owner !== item.owner) set.owner = input.owner;
    const due = input.due === undefined ? undefined : input.due === null ? null : new Date(input.due);
    const dueChanged = due !== undefined && (due?.toISOString() ?? null) !== item.due_at;
    if (dueChanged) set.due_at = due!;
    const statusChanged = input.status !== undefined && input.status !== item.status;
    if (statusChanged) {
      set.status = input.status!;
      set.closed_at = input.status === 'open' ? null : now;
    }
    const kind = input.kind ?? item.kind;
    const file = input.runbook_file !== undefined ? input.runbook_file : kind === 'task' ? null : item.runbook_file;
    if (kind === 'runbook_update' && !file)
      throw new AppError('invalid', 'invalid request body: runbook_file: required for kind runbook_update', {
        details: [{ path: 'runbook_file', message: 'required for kind runbook_update: the runbook file to change' }],
      });
    if (kind === 'task' && file)
      throw new AppError('invalid', 'invalid request body: runbook_file: only for kind runbook_update', {
        details: [{ path: 'runbook_file', message: 'only for kind runbook_update' }],
      });
    if (kind !== item.kind) set.kind = kind;
    if (file !== item.runbook_file) set.runbook_file = file;
    const changed = Object.keys(set);
    if (changed.length === 0) return toActionItemView(deps, item, now);
    const updated = await repoUpdate(q, id, { ...set, updated_at: now, updated_by: actor.name });
    if (dueChanged || statusChanged) await syncActionItemReminders(q, updated, deps.config.action_items.remind_before, now);
    if (statusChanged) {
      await appendTimeline(q, {
        incidentId: item.incident_id,
        at: now,
        kind: 'action_item',
        actor: actor.name,
        message: `Action item #${item.id} is now ${updated.status} (was ${item.status}): ${updated.title}`,
        data: { action_item_id: item.id, from: item.status, to: updated.status },
      });
    }
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'action_item.update',
      target: `action_item:${id}`,
      ip: actor.ip,
      details: { fields: changed.filter((c) => c !== 'closed_at') },
    });
    return toActionItemView(deps, updated, now);
  });
}
