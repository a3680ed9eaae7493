import { getIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { getActionItem, recordActionItemReminder } from '../../store/action-item-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Timer } from '../../store/timer-repo.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { Deps } from '../core/context.ts';
import type { NotifyReminder, Reminder } from './reminder.ts';
import { toActionItemView } from './action-item-view.ts';

/**
 * Timer handler for `action_item_reminder` (ref `<id>:before` or `<id>:due`):
 * reminds the owner of an open item before and at its due date. Stale timers
 * (closed, deleted, due date moved) do nothing; a stage already reminded for
 * this due date is not reminded twice. Returns whether a reminder was recorded.
 */
export async function remindActionItem(deps: Deps, notify: NotifyReminder, q: Queryable, timer: Timer, now: Date): Promise<boolean> {
  const [id, stage] = timer.ref.split(':') as [string, 'before' | 'due'];
  const payload = timer.payload as { due?: string };
  const item = await getActionItem(q, id, true);
  if (!item || item.status !== 'open' || !item.due_at || item.due_at !== payload.due) return false;
  const dueMs = Date.parse(item.due_at);
  const stageStart = stage === 'due' ? dueMs : dueMs - deps.config.action_items.remind_before;
  if (item.last_reminded_at && Date.parse(item.last_reminded_at) >= stageStart) return false;

  const view = toActionItemView(deps, item, now);
  const inc = await getIncident(q, item.incident_id);
  const when = stage === 'due' ? 'is due now' : `is due in ${formatDuration(Math.max(0, dueMs - now.getTime()))}`;
  const reminder: Reminder = {
    kind: 'action_item_reminder',
    subject: `Action item #${item.id} ${when}: ${item.title}`,
    message: [
      `Action item #${item.id} of incident #${item.incident_id}${inc ? ` (${inc.title})` : ''} ${when} (${item.due_at}).`,
      `Owner: ${item.owner ?? 'nobody yet'}.`,
      item.kind === 'runbook_update' ? `It asks to update ${item.runbook_file}.` : '',
      item.description,
    ]
      .filter(Boolean)
      .join('\n'),
    incident_id: item.incident_id,
    ...(item.postmortem_id ? { postmortem_id: item.postmortem_id } : {}),
    action_item_id: item.id,
    owner: item.owner,
    due_at: item.due_at,
    overdue: now.getTime() >= dueMs,
    link: view.link,
    at: now.toISOString(),
  };
  await recordActionItemReminder(q, item.id, now);
  await appendTimeline(q, {
    incidentId: item.incident_id,
    at: now,
    kind: 'action_item_reminder',
    actor: 'system',
    message: reminder.subject,
    data: { action_item_id: item.id, stage, due: item.due_at, owner: item.owner },
  });
  await writeAudit(q, { at: now, actor: 'system', action: 'action_item.remind', target: `action_item:${item.id}`, details: { stage } });
  await notify(reminder, q);
  if (inc) deps.bus.publish({ type: 'incident.changed', incident: inc });
  return true;
}
