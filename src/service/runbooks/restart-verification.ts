/**
 * A re-opened incident is verified again from scratch: the checks forget
 * their earlier results (each must hold for its full duration again) and a
 * new `verify` chain starts (the old one, if any, is stale by its sequence).
 */
import { getRun, updateRun } from '../../store/runbook-run-repo.ts';
import { startRun } from '../../domain/runbook-run.ts';
import type { Deps } from '../core/context.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { hasAutomatedChecks, scheduleVerification } from './schedule-verification.ts';

export async function restartVerification(deps: Deps, rt: RunbookRuntime, incidentId: string): Promise<boolean> {
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const run = await getRun(q, incidentId, true);
    if (!run || !hasAutomatedChecks(run.state)) return false;
    const fresh = startRun(run.state.runbook, now.getTime()).checks;
    const seq = run.verifySeq + 1;
    await updateRun(
      q,
      incidentId,
      { state: { ...run.state, checks: fresh, updatedAtMs: now.getTime() }, verifySeq: seq, verifiedAt: null },
      now,
    );
    await scheduleVerification(q, incidentId, seq, new Date(now.getTime() + rt.verifyIntervalMs), now);
    return true;
  });
}
