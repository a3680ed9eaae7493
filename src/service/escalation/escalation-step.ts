/**
 * Shared body of the escalation verbs (sync-escalation, escalate-incident,
 * deliver-notification): load and save a run, record a step's outbox rows,
 * stop a run, and leave a level early when nobody at it can be reached.
 * Everything here runs inside the caller's transaction.
 *
 * Lock order, followed by every escalation transaction so that none waits
 * in a cycle: [the timer the scheduler claimed] → incident → escalation row →
 * notification rows. Timers are armed and disarmed without waiting
 * (store/escalation-repo.ts), since the scheduler holds a timer while it
 * waits for its incident.
 *
 * Levels: the domain counts from 0, the database, API and humans from 1.
 */
import {
  freezePolicy,
  startEscalation,
  onAcknowledge,
  type EscalationNotify,
  type EscalationState,
  type FrozenPolicy,
} from '../../domain/escalation.ts';
import {
  putEscalation,
  updateEscalationState,
  armTimerNoWait,
  disarmTimerNoWait,
  type EscalationRow,
} from '../../store/escalation-repo.ts';
import { insertNotification, listStepNotifications } from '../../store/notification-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import type { Queryable } from '../../store/db.ts';
import { formatDuration } from '../../domain/duration.ts';
import { ESCALATE_TIMER, NOTIFY_TIMER, type EscalationDeps } from './escalation-deps.ts';
import { policyFor } from './escalation-policy.ts';
import { resolveTargets } from './escalation-targets.ts';
import type { Incident } from '../../domain/incident.ts';

/** One escalation run of an incident, as the domain sees it. */
export interface Run {
  incidentId: string;
  epoch: number;
  policy: FrozenPolicy;
  state: EscalationState;
  startedAt: Date;
}

export function runFromRow(row: EscalationRow): Run {
  return {
    incidentId: row.incident_id,
    epoch: row.epoch,
    policy: row.policy as FrozenPolicy,
    state: { level: row.level - 1, cycle: row.cycle, nextAtMs: row.next_at ? row.next_at.getTime() : null, stopped: row.stopped },
    startedAt: row.started_at,
  };
}

/** Persists the run's state and keeps the escalate timer in step with it. */
export async function saveRun(q: Queryable, run: Run, now: Date, isNew = false): Promise<void> {
  const s = {
    level: run.state.level + 1,
    cycle: run.state.cycle,
    next_at: run.state.nextAtMs === null ? null : new Date(run.state.nextAtMs),
    stopped: run.state.stopped,
  };
  if (isNew)
    await putEscalation(q, { incident_id: run.incidentId, epoch: run.epoch, policy: run.policy, started_at: run.startedAt, ...s }, now);
  else await updateEscalationState(q, run.incidentId, s, now);
  if (s.next_at)
    await armTimerNoWait(q, { kind: ESCALATE_TIMER, ref: run.incidentId, dueAt: s.next_at, payload: { epoch: run.epoch }, now });
  else await disarmTimerNoWait(q, ESCALATE_TIMER, run.incidentId);
}

export function levelLabel(policy: FrozenPolicy, level0: number): string {
  const l = policy.levels[level0];
  return `level ${level0 + 1}${l?.name ? ` (${l.name})` : ''}`;
}

/**
 * Writes the outbox rows of a step that notifies `notify.level`, arms a
 * `notify` timer for each (due now), and puts targets that reach nobody on
 * the timeline. Returns how many deliveries were queued.
 */
export async function recordNotifyStep(
  q: Queryable,
  deps: EscalationDeps,
  incident: Incident,
  run: Run,
  notify: EscalationNotify,
  now: Date,
): Promise<number> {
  const { deliveries, problems } = await resolveTargets(q, deps.config, new Set(deps.channels.keys()), notify.targets, now);
  const level = notify.level + 1;
  const kind = level === 1 && run.state.cycle === 0 ? 'incident.triggered' : 'incident.escalated';
  let queued = 0;
  for (const d of deliveries) {
    const row = await insertNotification(
      q,
      {
        incidentId: incident.id,
        epoch: run.epoch,
        level,
        cycle: run.state.cycle,
        target: d.target,
        channel: d.channel,
        recipient: d.recipient,
        kind,
      },
      now,
    );
    if (!row) continue; // this step was already recorded (a replayed transaction): never twice
    await armTimerNoWait(q, { kind: NOTIFY_TIMER, ref: row.id, dueAt: now, now });
    queued++;
  }
  for (const p of problems) {
    await appendTimeline(q, {
      incidentId: incident.id,
      at: now,
      kind: 'notification_failed',
      actor: 'system',
      message: `${capitalize(levelLabel(run.policy, notify.level))}: cannot notify ${p.target}: ${p.message}`,
      data: { level, cycle: run.state.cycle, target: p.target, error: p.message },
    });
  }
  return queued;
}

/**
 * Starts a new run for a triggered incident (first open, or re-open: level 1
 * again): freezes its policy, notifies level 1 and arms the timer.
 */
export async function startRun(q: Queryable, deps: EscalationDeps, incident: Incident, now: Date): Promise<Run> {
  const policy = freezePolicy(policyFor(deps.config, incident.attrs, deps.logChannel), deps.config.ackDeadlinesMs[incident.severity]);
  const step = startEscalation(policy, now.getTime());
  const run: Run = { incidentId: incident.id, epoch: incident.reopen_count, policy, state: step.state, startedAt: now };
  const queued = await recordNotifyStep(q, deps, incident, run, step.notify!, now);
  if (queued === 0) run.state = { ...run.state, nextAtMs: now.getTime() }; // nobody reachable at level 1: move on at once
  await saveRun(q, run, now, true);
  return run;
}

/** Stops a run (acknowledged or resolved). Level and cycle stay for the record. */
export async function stopRun(q: Queryable, run: Run, now: Date): Promise<void> {
  run.state = onAcknowledge(run.state);
  await saveRun(q, run, now);
}

/**
 * After a notification of step (level, cycle) failed for good: when the step
 * is still the current one and none of its notifications was sent or is
 * still in flight, the level is left now instead of at its timeout. Returns
 * true when it did so. Caller holds the incident lock.
 */
export async function leaveLevelIfUnreachable(q: Queryable, run: Run, step: { level: number; cycle: number }, now: Date): Promise<boolean> {
  const s = run.state;
  if (s.stopped || s.nextAtMs === null || s.level + 1 !== step.level || s.cycle !== step.cycle) return false;
  const rows = await listStepNotifications(q, { incidentId: run.incidentId, epoch: run.epoch, level: step.level, cycle: step.cycle });
  if (rows.some((r) => r.status === 'sent' || r.status === 'pending' || r.status === 'sending')) return false;
  if (s.nextAtMs <= now.getTime()) return false; // already due
  run.state = { ...s, nextAtMs: now.getTime() };
  await saveRun(q, run, now);
  return true;
}

export function describeWait(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms)));
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
