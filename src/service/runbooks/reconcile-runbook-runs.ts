/**
 * Starts the runs that a crash between an incident's open and its run start
 * left missing (the open commits first; the run starts right after). Runs at
 * start-up and periodically; starting a run is idempotent, so several
 * processes may reconcile at once.
 */
import { listOpenIncidentsWithoutRun } from '../../store/runbook-run-repo.ts';
import type { Deps } from '../core/context.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { startRunbookRun } from './start-runbook-run.ts';

export async function reconcileRunbookRuns(deps: Deps, rt: RunbookRuntime, batch = 100): Promise<number> {
  let started = 0;
  for (;;) {
    const ids = await listOpenIncidentsWithoutRun(deps.db, [...rt.runbooks.keys()], batch);
    let progressed = false;
    for (const id of ids) {
      if (await startRunbookRun(deps, rt, id)) {
        started++;
        progressed = true;
      }
    }
    if (ids.length < batch || !progressed) return started;
  }
}
