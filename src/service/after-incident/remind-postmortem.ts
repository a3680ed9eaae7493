import { getIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { getPostmortem, recordPostmortemReminder } from '../../store/postmortem-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Timer } from '../../store/timer-repo.ts';
import { nextReminderSlot, reminderSlot } from '../../domain/postmortem.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { Deps } from '../core/context.ts';
import type { NotifyReminder, Reminder } from './reminder.ts';
import { armPostmortemReminder } from './draft-postmortem.ts';

/**
 * Timer handler for `postmortem_reminder` (ref `<id>@<due ms>#<slot>`): while
 * the post-mortem is unpublished and overdue, records one reminder per
 * `postmortems.remind_every` interval (timeline entry `postmortem_reminder`,
 * counters, audit), hands it to `notify`, and arms the next slot. Stale timers
 * (published, re-drafted with a new due date, incident re-opened) stop the
 * chain; a re-draft or an un-publish starts a new one. Returns whether a
 * reminder was recorded.
 */
export async function remindPostmortem(deps: Deps, notify: NotifyReminder, q: Queryable, timer: Timer, now: Date): Promise<boolean> {
  const id = timer.ref.split('@')[0]!;
  const payload = timer.payload as { due_at?: string };
  const pm = await getPostmortem(q, id, true);
  if (!pm || pm.status === 'published' || pm.due_at !== payload.due_at) return false;
  const inc = await getIncident(q, pm.incident_id);
  if (!inc || inc.status !== 'resolved') return false;
  const dueMs = Date.parse(pm.due_at);
  const every = deps.config.postmortems.remind_every;
  const next = nextReminderSlot(dueMs, every, now.getTime());
  await armPostmortemReminder(q, pm, next.slot, next.atMs, now);
  const slot = reminderSlot(dueMs, every, now.getTime());
  // Invariant: at most one reminder per interval, whatever timers exist.
  if (slot < 0 || (pm.last_reminded_at && reminderSlot(dueMs, every, Date.parse(pm.last_reminded_at)) === slot)) return false;

  const late = formatDuration(Math.max(0, now.getTime() - dueMs));
  const reminder: Reminder = {
    kind: 'postmortem_reminder',
    subject: `Post-mortem #${pm.id} is overdue: ${pm.title}`,
    message: `The post-mortem of incident #${pm.incident_id} (${inc.type}, ${inc.severity}) was due ${pm.due_at}${late !== '0s' ? `, ${late} ago` : ''}. It is ${pm.status}; publish it when the review is done.`,
    incident_id: pm.incident_id,
    postmortem_id: pm.id,
    owner: null,
    due_at: pm.due_at,
    overdue: true,
    link: `/api/v1/postmortems/${pm.id}`,
    at: now.toISOString(),
  };
  await recordPostmortemReminder(q, pm.id, now);
  await appendTimeline(q, {
    incidentId: pm.incident_id,
    at: now,
    kind: 'postmortem_reminder',
    actor: 'system',
    message: reminder.subject,
    data: { postmortem_id: pm.id, due_at: pm.due_at, reminder: pm.reminders + 1, slot },
  });
  await writeAudit(q, { at: now, actor: 'system', action: 'postmortem.remind', target: `postmortem:${pm.id}`, details: { slot } });
  await notify(reminder, q);
  deps.bus.publish({ type: 'incident.changed', incident: inc });
  return true;
}
