import { AppError } from '../../errors.ts';
import { deleteActionItem as repoDelete, getActionItem } from '../../store/action-item-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { syncActionItemReminders } from './action-item-reminders.ts';

/**
 * Deletes an action item entered by mistake (responder or admin); to give up
 * on a real one, set its status to `dropped` instead so the record stays. The
 * deletion is on the incident's timeline and in the audit log with the title.
 */
export async function deleteActionItem(deps: Deps, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'incidents:write');
  await deps.db.tx(async (q) => {
    const now = deps.clock();
    const item = await getActionItem(q, id, true);
    if (!item) throw new AppError('not_found', `action item ${id} not found`);
    await syncActionItemReminders(q, { id: item.id, status: 'dropped', due_at: null }, 0, now);
    await repoDelete(q, id);
    await appendTimeline(q, {
      incidentId: item.incident_id,
      at: now,
      kind: 'action_item',
      actor: actor.name,
      message: `Action item #${item.id} deleted: ${item.title}`,
      data: { action_item_id: item.id, deleted: true },
    });
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'action_item.delete',
      target: `action_item:${id}`,
      ip: actor.ip,
      details: { title: item.title, status: item.status },
    });
  });
}
