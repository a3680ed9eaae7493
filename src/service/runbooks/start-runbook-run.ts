/**
 * Starts the run of an incident's runbook: freezes the runbook as loaded now
 * into `runbook_runs`, schedules the automated steps (durable timers) and
 * the first verification round, in one transaction. Idempotent: an incident
 * has at most one run, and a resolved incident or a type without a runbook
 * gets none.
 *
 * Called for `incident.opened` right after the open commits, and by
 * reconcileRunbookRuns for incidents a crash left without a run.
 *
 * `action` steps start after `actionGraceMs`: whoever opened the incident (a
 * rule, `firebreak respond`, the actions API) is usually running the same
 * actions right now. A step runs its action under the action's own name as
 * step, so the action id is the opener's and the step picks up that run's
 * result instead of acting twice; the grace lets the opener go first.
 */
import { getIncident } from '../../store/incident-repo.ts';
import { insertRun } from '../../store/runbook-run-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { startRun } from '../../domain/runbook-run.ts';
import type { Deps } from '../core/context.ts';
import { runbookActor, type RunbookRuntime } from './runbook-runtime.ts';
import { scheduleDueSteps } from './schedule-runbook-step.ts';
import { hasAutomatedChecks, scheduleVerification } from './schedule-verification.ts';

/** Returns true when this call started the run. */
export async function startRunbookRun(deps: Deps, rt: RunbookRuntime, incidentId: string): Promise<boolean> {
  const started = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const incident = await getIncident(q, incidentId, true);
    if (!incident || incident.status === 'resolved') return null;
    const runbook = rt.runbooks.get(incident.type);
    if (!runbook) return null;
    const state = startRun(runbook, now.getTime());
    if (!(await insertRun(q, { incidentId, state, now }))) return null;
    const automated = await scheduleDueSteps(q, incidentId, state, now, rt.actionGraceMs);
    if (hasAutomatedChecks(state)) await scheduleVerification(q, incidentId, 0, new Date(now.getTime() + rt.verifyIntervalMs), now);
    const actor = runbookActor(runbook.type);
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'runbook.start',
      target: `incident:${incidentId}`,
      details: { type: runbook.type, steps: state.steps.length, automated, checks: state.checks.length },
    });
    return incident;
  });
  if (!started) return false;
  rt.wake();
  deps.bus.publish({ type: 'incident.changed', incident: started });
  return true;
}
