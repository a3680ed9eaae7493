/**
 * Handler of the `escalate` timer (ref = incident id), inside the scheduler's
 * transaction: one timeout without acknowledgement moves the escalation one
 * level up (domain onTimer) and notifies that level's targets.
 *
 * | incident / run                           | action                                               |
 * |------------------------------------------|------------------------------------------------------|
 * | not triggered, run not stopped           | stop the run (a lost stop)                           |
 * | run of an earlier epoch (re-opened since)| nothing: sync-escalation starts the new run          |
 * | timer early (now < next_at)              | re-arm the timer at next_at                          |
 * | next level (or next cycle)               | `escalated` entry, outbox rows for its targets       |
 * | last level of the last cycle timed out   | `escalated` entry "exhausted"; no more timers        |
 *
 * The firing timer is retired first, so the next one (same kind and ref) can
 * be armed in this transaction.
 */
import { onTimer } from '../../domain/escalation.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { getEscalation, retireTimer } from '../../store/escalation-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { EscalationDeps } from './escalation-deps.ts';
import { capitalize, describeWait, levelLabel, recordNotifyStep, runFromRow, saveRun, stopRun } from './escalation-step.ts';

export async function escalateIncident(deps: EscalationDeps, q: Queryable, timer: { id: string; ref: string }, now: Date): Promise<void> {
  await retireTimer(q, timer.id, now);
  const incident = await getIncident(q, timer.ref, true);
  if (!incident) return;
  const row = await getEscalation(q, incident.id, true);
  if (!row) return;
  const run = runFromRow(row);
  if (incident.status !== 'triggered') {
    if (!row.stopped) await stopRun(q, run, now);
    return;
  }
  if (run.epoch !== incident.reopen_count) return;
  const before = run.state;
  const step = onTimer(run.policy, before, now.getTime());
  if (step.state === before) {
    if (before.nextAtMs !== null && !before.stopped) await saveRun(q, run, now); // early or re-fired: keep a timer armed
    return;
  }
  run.state = step.state;
  const from = `${levelLabel(run.policy, before.level)} (waited up to ${describeWait(run.policy.levels[before.level]!.timeoutMs)})`;
  const levels = run.policy.levels.length;
  if (step.notify) {
    const restart = step.notify.level === 0;
    const to = levelLabel(run.policy, step.notify.level);
    await appendTimeline(q, {
      incidentId: incident.id,
      at: now,
      kind: 'escalated',
      actor: 'system',
      message: restart
        ? `No acknowledgement at ${from}: starting again at ${to} (repeat ${step.state.cycle} of ${run.policy.repeat})`
        : `No acknowledgement at ${from}: escalated to ${to} of ${levels}: ${step.notify.targets.join(', ')}`,
      data: {
        policy: run.policy.name,
        from_level: before.level + 1,
        level: step.notify.level + 1,
        cycle: step.state.cycle,
        targets: [...step.notify.targets],
      },
    });
    const queued = await recordNotifyStep(q, deps, incident, run, step.notify, now);
    if (queued === 0) run.state = { ...run.state, nextAtMs: now.getTime() }; // nobody reachable: move on at once
  } else if (step.exhausted) {
    await appendTimeline(q, {
      incidentId: incident.id,
      at: now,
      kind: 'escalated',
      actor: 'system',
      message: `${capitalize(`escalation policy ${run.policy.name} exhausted`)}: all ${levels} levels${run.policy.repeat ? ` and ${run.policy.repeat} repeat(s)` : ''} were notified and nobody acknowledged`,
      data: { policy: run.policy.name, level: before.level + 1, cycle: before.cycle, exhausted: true },
    });
  }
  await saveRun(q, run, now);
}
