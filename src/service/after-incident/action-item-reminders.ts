/**
 * The two reminders of an open action item with a due date: `before` at
 * due − `action_items.remind_before` (skipped when that moment has passed at
 * scheduling time) and `due` at the due time. Timers of kind
 * `action_item_reminder`, refs `<id>:before` and `<id>:due`, payload `{due}`:
 * a timer whose `due` no longer matches the item is stale and does nothing.
 */
import { cancelTimer, scheduleTimer } from '../../store/timer-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { ActionItemRecord } from '../../store/action-item-repo.ts';
import { ACTION_ITEM_REMINDER_TIMER } from './reminder.ts';

export type ActionItemStage = 'before' | 'due';

/** Re-arms (or disarms) both reminders to match the item as it is now. */
export async function syncActionItemReminders(
  q: Queryable,
  item: Pick<ActionItemRecord, 'id' | 'status' | 'due_at'>,
  remindBeforeMs: number,
  now: Date,
): Promise<void> {
  if (item.status !== 'open' || item.due_at === null) {
    await cancelTimer(q, ACTION_ITEM_REMINDER_TIMER, `${item.id}:before`);
    await cancelTimer(q, ACTION_ITEM_REMINDER_TIMER, `${item.id}:due`);
    return;
  }
  const due = Date.parse(item.due_at);
  const before = due - remindBeforeMs;
  if (remindBeforeMs > 0 && before > now.getTime()) {
    await scheduleTimer(q, {
      kind: ACTION_ITEM_REMINDER_TIMER,
      ref: `${item.id}:before`,
      dueAt: new Date(before),
      payload: { due: item.due_at, stage: 'before' },
      now,
    });
  } else {
    await cancelTimer(q, ACTION_ITEM_REMINDER_TIMER, `${item.id}:before`);
  }
  await scheduleTimer(q, {
    kind: ACTION_ITEM_REMINDER_TIMER,
    ref: `${item.id}:due`,
    dueAt: new Date(due),
    payload: { due: item.due_at, stage: 'due' },
    now,
  });
}
