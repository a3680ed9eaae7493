/**
 * Handler of the `runbook_step` timer, inside the scheduler's transaction.
 *
 *   phase     step state                          effect
 *   start     pending/approved, attempt matches   → running (attempt n), lease, watchdog timer, execution deferred
 *   start     anything else                       stale timer: nothing
 *   watchdog  running attempt n, not executing    → failed "interrupted" (a crash or kill during the step)
 *             here, lease unchanged
 *   watchdog  anything else                       nothing (the execution recorded its result)
 *
 * Never re-runs an interrupted command: it may have run partly or fully, so
 * a human retries it (a gated command asks for a new approval).
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../store/db.ts';
import type { Timer } from '../../store/timer-repo.ts';
import { getRun, updateRun } from '../../store/runbook-run-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { markStepRunning, recordStepResult } from '../../domain/runbook-run.ts';
import { stepKind } from '../../domain/runbook.ts';
import type { Deps } from '../core/context.ts';
import { executionKey, runbookActor, type RunbookRuntime, type StepTimerPayload } from './runbook-runtime.ts';
import { scheduleStepAttempt } from './schedule-runbook-step.ts';
import { executeRunbookStep, ACTION_TIMEOUT_MS } from './execute-runbook-step.ts';

/** Time after a step's own timeout before a lost execution is declared interrupted. */
export const WATCHDOG_GRACE_MS = 15_000;

export async function beginRunbookStep(deps: Deps, rt: RunbookRuntime, q: Queryable, timer: Timer, now: Date): Promise<void> {
  const p = timer.payload as unknown as StepTimerPayload;
  const run = await getRun(q, p.incident_id, true);
  if (!run) return;
  const idx = run.state.steps.findIndex((s) => s.id === p.step);
  if (idx < 0) return;
  const st = run.state.steps[idx]!;
  const def = run.state.runbook.immediate_actions[idx]!;
  const actor = runbookActor(run.type);

  if (p.phase === 'watchdog') {
    if (st.status !== 'running' || st.attempts !== p.attempt || rt.isExecuting(executionKey(p.incident_id, p.step, p.attempt))) return;
    const error =
      'interrupted: Firebreak stopped while this step was running; it may have run partly or completely. Retry it to run it again.';
    const state = recordStepResult(run.state, p.step, { ok: false, error }, now.getTime());
    const { [p.step]: _gone, ...leases } = run.leases;
    await updateRun(q, p.incident_id, { state, leases }, now);
    await appendTimeline(q, {
      incidentId: p.incident_id,
      at: now,
      kind: 'step',
      actor: actor.name,
      message: `Step "${def.title}" (${def.id}) failed: ${error}`,
      data: { step: def.id, kind: stepKind(def), attempt: p.attempt, status: 'failed', error },
    });
    return;
  }

  if ((st.status !== 'pending' && st.status !== 'approved') || st.attempts + 1 !== p.attempt) return; // stale
  const state = markStepRunning(run.state, p.step, now.getTime());
  const token = randomUUID();
  await updateRun(q, p.incident_id, { state, leases: { ...run.leases, [p.step]: { attempt: p.attempt, token } } }, now);
  const limitMs = 'command' in def ? def.timeout : ACTION_TIMEOUT_MS;
  await scheduleStepAttempt(q, p.incident_id, p.step, p.attempt, new Date(now.getTime() + limitMs + WATCHDOG_GRACE_MS), now, 'watchdog');
  if ('command' in def) {
    await appendTimeline(q, {
      incidentId: p.incident_id,
      at: now,
      kind: 'step',
      actor: actor.name,
      message: `Step "${def.title}" (${def.id}) started${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}${st.approvedBy ? `, approved by ${st.approvedBy}` : ''}: ${def.command.trim()}`,
      data: {
        step: def.id,
        kind: 'command',
        attempt: p.attempt,
        status: 'running',
        command: def.command,
        ...(st.approvedBy ? { approved_by: st.approvedBy } : {}),
      },
    });
  }
  const job = { incidentId: p.incident_id, stepId: p.step, attempt: p.attempt, token };
  rt.defer((signal) => executeRunbookStep(deps, rt, job, signal));
}
