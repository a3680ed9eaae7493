/**
 * Runs a list of actions for an incident, in order: a rule's actions when it
 * fires, the actions API, `firebreak respond`, and (later) a runbook run's
 * automated steps. Each one is `runAction` (idempotent per action id).
 *
 * With `invalid: 'reject'` (a caller who can fix the request) every problem of
 * every action is reported before anything runs. With `invalid: 'skip'`
 * (configuration: rules) an action that cannot run is recorded as skipped on
 * the timeline and the others still run.
 */
import { AppError, type ErrorDetail } from '../../errors.ts';
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { authorize } from '../access/authorize.ts';
import {
  prepareAction,
  recordSkippedAction,
  runAction,
  type ActionRunRequest,
  type ActionRunResult,
  type RunActionOptions,
} from './run-action.ts';
import type { Incident } from '../../domain/incident.ts';

export interface RunIncidentActionsOptions extends RunActionOptions {
  invalid?: 'reject' | 'skip';
}

export async function runIncidentActions(
  deps: RespondDeps,
  actor: Actor,
  incident: Incident,
  requests: readonly ActionRunRequest[],
  opts: RunIncidentActionsOptions = {},
): Promise<ActionRunResult[]> {
  authorize(actor, 'decisions:write');
  const problems: ErrorDetail[] = [];
  const prepared = requests.map((req, i) => {
    const p = prepareAction(deps, incident, req);
    if ('problems' in p) for (const d of p.problems) problems.push({ path: `actions[${i}].${d.path}`, message: d.message });
    return p;
  });
  if (problems.length > 0 && opts.invalid !== 'skip') {
    throw new AppError('invalid', `invalid actions: ${problems[0]!.path}: ${problems[0]!.message}`, { details: problems });
  }
  const out: ActionRunResult[] = [];
  for (const [i, req] of requests.entries()) {
    const p = prepared[i]!;
    if ('problems' in p) out.push(await recordSkippedAction(deps, actor, incident, req, p.problems.map((d) => d.message).join('; ')));
    else out.push(await runAction(deps, actor, incident, req, opts));
  }
  return out;
}
