/**
 * Shared body of the step verbs (complete, approve, retry, skip): check the
 * role, lock the run, ask the pure state machine (src/domain/runbook-run.ts)
 * whether the change is allowed, write the state, the `step` timeline entry
 * and the audit record in one transaction, and schedule the step's next
 * execution when the change makes it runnable (approve, retry). Answers the
 * run view.
 */
import { AppError } from '../../errors.ts';
import { getIncident, updateIncident } from '../../store/incident-repo.ts';
import { getRun, updateRun } from '../../store/runbook-run-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { RunState } from '../../domain/runbook-run.ts';
import { stepKind, type Step } from '../../domain/runbook.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { scheduleStepAttempt } from './schedule-runbook-step.ts';
import { toRunView, type RunView } from './runbook-run-view.ts';

export interface StepChange {
  verb: 'complete' | 'approve' | 'retry' | 'skip';
  /** Verbs that lead to an execution need an open incident. */
  needsOpen: boolean;
  apply(state: RunState, nowMs: number): RunState;
  message(step: Step): string;
  /** The note or reason, for the timeline and the audit record. */
  text?: string;
}

export async function changeRunbookStep(
  deps: Deps,
  rt: RunbookRuntime,
  actor: Actor,
  incidentId: string,
  stepId: string,
  change: StepChange,
): Promise<RunView> {
  authorize(actor, 'incidents:write');
  const result = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const incident = await getIncident(q, incidentId, true);
    if (!incident) throw new AppError('not_found', `incident ${incidentId} not found`);
    const run = await getRun(q, incidentId, true);
    if (!run) throw new AppError('not_found', `incident ${incidentId} has no runbook run (no runbook for type "${incident.type}")`);
    if (change.needsOpen && incident.status === 'resolved') {
      throw new AppError('conflict', `cannot ${change.verb} step "${stepId}": incident ${incidentId} is resolved (re-open it first)`);
    }
    const state = change.apply(run.state, now.getTime()); // not_found / conflict from the state machine
    const idx = state.steps.findIndex((s) => s.id === stepId);
    const st = state.steps[idx]!;
    const def = state.runbook.immediate_actions[idx]!;
    await updateRun(q, incidentId, { state }, now);
    if (st.status === 'pending' || st.status === 'approved') await scheduleStepAttempt(q, incidentId, stepId, st.attempts + 1, now, now);
    await appendTimeline(q, {
      incidentId,
      at: now,
      kind: 'step',
      actor: actor.name,
      message: change.message(def) + (change.text ? `: ${change.text}` : ''),
      data: { step: stepId, kind: stepKind(def), status: st.status, verb: change.verb, ...(change.text ? { note: change.text } : {}) },
    });
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: `runbook.step.${change.verb}`,
      target: `incident:${incidentId}`,
      ip: actor.ip,
      details: { step: stepId, ...(change.text ? { note: change.text } : {}) },
    });
    const updated = await updateIncident(q, incidentId, { updated_at: now });
    return { view: toRunView({ ...run, state }), updated, runnable: st.status === 'pending' || st.status === 'approved' };
  });
  if (result.runnable) rt.wake();
  deps.bus.publish({ type: 'incident.changed', incident: result.updated });
  return result.view;
}
