/**
 * Drafting the post-mortem when an incident resolves.
 *
 * Durability: the resolve verb publishes `incident.resolved` after its commit;
 * main.ts subscribes `requestPostmortemDraft`, which arms a durable
 * `postmortem_draft` timer (ref = incident id) due now. The timer handler
 * drafts in the scheduler's transaction, so the draft happens exactly once and
 * a failure is retried. A crash between the resolve's commit and arming the
 * timer is covered by `recoverPostmortemDrafts` at start.
 *
 * A later resolution (after a re-open) re-drafts: the facts (timeline copy,
 * TTA/TTR …) are rewritten, what people wrote is kept, the summary is
 * replaced only while nobody has edited it, a published post-mortem goes back
 * to draft, and the due date and reminders move with the new resolution.
 */
import type { Incident } from '../../domain/incident.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { appendTimeline, listTimeline, type TimelineEntry } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { scheduleTimer } from '../../store/timer-repo.ts';
import {
  insertPostmortem,
  getPostmortemByIncident,
  updatePostmortem,
  findUndraftedResolutions,
  migrationAppliedAt,
  type PostmortemRecord,
} from '../../store/postmortem-repo.ts';
import type { Queryable } from '../../store/db.ts';
import { draftFacts } from '../../domain/postmortem.ts';
import type { Deps } from '../core/context.ts';
import { POSTMORTEM_REMINDER_TIMER } from './reminder.ts';

export const POSTMORTEM_DRAFT_TIMER = 'postmortem_draft';
/** The migration that introduced post-mortems: incidents resolved before it get none. */
const POSTMORTEM_SCHEMA_VERSION = 6;

function wanted(deps: Deps, inc: Pick<Incident, 'severity'>): boolean {
  const c = deps.config.postmortems;
  return c.enabled && c.severities.includes(inc.severity);
}

/** Bus subscriber: arms the draft timer for a resolved incident. Returns whether it did. */
export async function requestPostmortemDraft(deps: Deps, incident: Incident): Promise<boolean> {
  if (incident.status !== 'resolved' || !incident.resolved_at || !wanted(deps, incident)) return false;
  await scheduleTimer(deps.db, {
    kind: POSTMORTEM_DRAFT_TIMER,
    ref: incident.id,
    dueAt: deps.clock(),
    payload: { resolved_at: incident.resolved_at },
    now: deps.clock(),
  });
  return true;
}

/** At start: arms draft timers for resolutions that have no post-mortem yet (a crash lost the subscriber's work). */
export async function recoverPostmortemDrafts(deps: Deps): Promise<number> {
  if (!deps.config.postmortems.enabled) return 0;
  const since = await migrationAppliedAt(deps.db, POSTMORTEM_SCHEMA_VERSION);
  if (!since) return 0;
  let n = 0;
  for (const r of await findUndraftedResolutions(deps.db, since, deps.config.postmortems.severities, 10_000)) {
    await scheduleTimer(deps.db, {
      kind: POSTMORTEM_DRAFT_TIMER,
      ref: r.id,
      dueAt: deps.clock(),
      payload: { resolved_at: r.resolved_at },
      now: deps.clock(),
    });
    n++;
  }
  return n;
}

async function wholeTimeline(q: Queryable, incidentId: string): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  for (;;) {
    const page = await listTimeline(q, incidentId, { after: out.length ? out[out.length - 1]!.id : undefined, limit: 1000 });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

export function reminderRef(postmortemId: string, dueAt: string, slot: number): string {
  return `${postmortemId}@${Date.parse(dueAt)}#${slot}`;
}

/** Arms the reminder of `slot` (0 = at the due time). */
export async function armPostmortemReminder(
  q: Queryable,
  pm: Pick<PostmortemRecord, 'id' | 'due_at'>,
  slot: number,
  atMs: number,
  now: Date,
): Promise<void> {
  await scheduleTimer(q, {
    kind: POSTMORTEM_REMINDER_TIMER,
    ref: reminderRef(pm.id, pm.due_at, slot),
    dueAt: new Date(atMs),
    payload: { due_at: pm.due_at, slot },
    now,
  });
}

/**
 * Timer handler for `postmortem_draft`: drafts (or re-drafts) the post-mortem
 * of a resolved incident. Stale timers (the incident was re-opened since, or
 * this resolution is already drafted) do nothing.
 */
export async function draftPostmortem(
  deps: Deps,
  q: Queryable,
  incidentId: string,
  payload: { resolved_at?: string },
  now: Date,
): Promise<PostmortemRecord | null> {
  const inc = await getIncident(q, incidentId, true);
  if (!inc || inc.status !== 'resolved' || !inc.resolved_at || !wanted(deps, inc)) return null;
  if (payload.resolved_at && payload.resolved_at !== inc.resolved_at) return null;
  const existing = await getPostmortemByIncident(q, incidentId, true);
  if (existing && existing.resolved_at === inc.resolved_at) return existing;

  const facts = draftFacts(inc, await wholeTimeline(q, incidentId));
  const due = new Date(Date.parse(inc.resolved_at) + deps.config.postmortems.due_after);
  let pm: PostmortemRecord;
  if (!existing) {
    pm = await insertPostmortem(q, {
      incident_id: inc.id,
      title: inc.title,
      summary: facts.generated_summary,
      facts,
      resolved_at: new Date(inc.resolved_at),
      due_at: due,
      now,
    });
    await appendTimeline(q, {
      incidentId: inc.id,
      at: now,
      kind: 'postmortem',
      actor: 'system',
      message: `Post-mortem #${pm.id} drafted; due ${pm.due_at}`,
      data: { postmortem_id: pm.id, due_at: pm.due_at },
    });
    await writeAudit(q, {
      at: now,
      actor: 'system',
      action: 'postmortem.draft',
      target: `postmortem:${pm.id}`,
      details: { incident_id: inc.id },
    });
  } else {
    const summaryUntouched = existing.summary === existing.facts.generated_summary;
    pm = await updatePostmortem(q, existing.id, {
      facts,
      resolved_at: new Date(inc.resolved_at),
      due_at: due,
      drafted_at: now,
      updated_at: now,
      ...(summaryUntouched ? { summary: facts.generated_summary } : {}),
      ...(existing.status === 'published' ? { status: 'draft' as const, published_at: null } : {}),
    });
    await appendTimeline(q, {
      incidentId: inc.id,
      at: now,
      kind: 'postmortem',
      actor: 'system',
      message: `Post-mortem #${pm.id} re-drafted after the incident resolved again${existing.status === 'published' ? ' (back to draft)' : ''}; due ${pm.due_at}`,
      data: { postmortem_id: pm.id, due_at: pm.due_at, redraft: true },
    });
    await writeAudit(q, {
      at: now,
      actor: 'system',
      action: 'postmortem.redraft',
      target: `postmortem:${pm.id}`,
      details: { incident_id: inc.id },
    });
  }
  await armPostmortemReminder(q, pm, 0, Date.parse(pm.due_at), now);
  deps.bus.publish({ type: 'incident.changed', incident: inc });
  return pm;
}
