/**
 * Puts one attempt of an automated step on the durable timer queue, in the
 * caller's transaction: it runs after a restart too, exactly once (the
 * scheduler claims each timer once; the handler checks the attempt number).
 */
import type { Queryable } from '../../store/db.ts';
import { scheduleTimer } from '../../store/timer-repo.ts';
import type { RunState } from '../../domain/runbook-run.ts';
import { nextAutomatedSteps } from '../../domain/runbook-run.ts';
import { STEP_TIMER, stepTimerRef, type StepTimerPayload } from './runbook-runtime.ts';

export async function scheduleStepAttempt(
  q: Queryable,
  incidentId: string,
  stepId: string,
  attempt: number,
  dueAt: Date,
  now: Date,
  phase: StepTimerPayload['phase'] = 'start',
): Promise<void> {
  const payload: StepTimerPayload = { incident_id: incidentId, step: stepId, attempt, phase };
  await scheduleTimer(q, { kind: STEP_TIMER, ref: stepTimerRef(incidentId, stepId, attempt, phase), dueAt, payload: { ...payload }, now });
}

/**
 * Schedules every step the run may execute now (pending actions and
 * commands, approved commands); `action` steps after `actionDelayMs`.
 */
export async function scheduleDueSteps(q: Queryable, incidentId: string, state: RunState, now: Date, actionDelayMs = 0): Promise<number> {
  const due = nextAutomatedSteps(state);
  for (const step of due) {
    const st = state.steps.find((s) => s.id === step.id)!;
    const at = 'action' in step ? new Date(now.getTime() + actionDelayMs) : now;
    await scheduleStepAttempt(q, incidentId, step.id, st.attempts + 1, at, now);
  }
  return due.length;
}
