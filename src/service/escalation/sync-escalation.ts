/**
 * Brings an incident's escalation in step with its status. Called after
 * every open / re-open / acknowledge / resolve (through the bus) and by the
 * periodic reconcile pass, which finds the ones a crash left behind; running
 * it twice, or in two processes at once, changes nothing the second time
 * (the incident row lock serializes them).
 *
 * | incident status | escalation run                         | action                          |
 * |-----------------|----------------------------------------|---------------------------------|
 * | triggered       | none, or from before the last re-open  | start a run: notify level 1     |
 * | triggered       | current (epoch = reopen_count)         | nothing                         |
 * | acknowledged or resolved | running or exhausted          | stop it (cancel its timer)      |
 * | acknowledged or resolved | stopped or none               | nothing                         |
 */
import { getIncident } from '../../store/incident-repo.ts';
import { getEscalation, findEscalationsOutOfStep } from '../../store/escalation-repo.ts';
import { purgeAckNonces } from '../../store/ack-nonce-repo.ts';
import { ACK_LINK_TTL_MS, type EscalationDeps } from './escalation-deps.ts';
import { runFromRow, startRun, stopRun } from './escalation-step.ts';

export type SyncOutcome = 'started' | 'stopped' | 'unchanged';

export async function syncEscalation(deps: EscalationDeps, incidentId: string): Promise<SyncOutcome> {
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const incident = await getIncident(q, incidentId, true);
    if (!incident) return 'unchanged';
    const row = await getEscalation(q, incidentId, true);
    if (incident.status === 'triggered') {
      if (row && row.epoch >= incident.reopen_count) return 'unchanged';
      await startRun(q, deps, incident, now);
      return 'started';
    }
    if (row && !row.stopped) {
      await stopRun(q, runFromRow(row), now);
      return 'stopped';
    }
    return 'unchanged';
  });
}

/**
 * Incidents whose escalation is out of step with their status (a start or
 * stop lost to a crash between commit and bus), for the reconcile pass.
 * Also forgets used ack-link nonces of links that expired a day ago or more.
 */
export async function findEscalationsToSync(deps: EscalationDeps, limit = 500): Promise<string[]> {
  await purgeAckNonces(deps.db, new Date(deps.clock().getTime() - ACK_LINK_TTL_MS));
  return findEscalationsOutOfStep(deps.db, limit);
}
