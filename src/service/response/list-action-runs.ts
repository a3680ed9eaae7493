/** GET /api/v1/incidents/{id}/actions: the action runs of an incident, oldest first. */
import { AppError } from '../../errors.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { listActionRuns as repoList, type ActionRun } from '../../store/action-run-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';

export async function listActionRuns(deps: Deps, actor: Actor, incidentId: string): Promise<{ items: ActionRun[]; next_cursor: null }> {
  authorize(actor, 'read');
  if (!(await getIncident(deps.db, incidentId))) throw new AppError('not_found', `incident ${incidentId} not found`);
  return { items: await repoList(deps.db, incidentId), next_cursor: null };
}
