/**
 * Reminders of overdue post-mortems and of action items coming due. The
 * reminder is recorded (timeline entry, counters) by the timer handler; the
 * `notify` function main.ts injects turns it into notifications.
 */
import type { Queryable } from '../../store/db.ts';

export const POSTMORTEM_REMINDER_TIMER = 'postmortem_reminder';
export const ACTION_ITEM_REMINDER_TIMER = 'action_item_reminder';

export interface Reminder {
  kind: 'postmortem_reminder' | 'action_item_reminder';
  /** One line for a chat message or mail subject. */
  subject: string;
  /** A few lines with the details and the link. */
  message: string;
  incident_id: string;
  postmortem_id?: string;
  action_item_id?: string;
  /** Who it is for: the action item's owner; null = the incident's responders. */
  owner: string | null;
  due_at: string;
  overdue: boolean;
  /** API path of the thing to look at. */
  link: string;
  at: string;
}

/**
 * Sends a reminder. It runs inside the timer's transaction: enqueue durable
 * work with `q` (exactly once with the reminder), and never wait on the
 * network here. A throw rolls the reminder back and retries it later.
 */
export type NotifyReminder = (reminder: Reminder, q: Queryable) => Promise<void>;
