/**
 * Runs one action for an incident (the verb behind rules, the actions API,
 * `firebreak respond`, and runbook steps).
 *
 * The action id is deterministic (incident, step, action, target, reopen
 * count): the first call records the run and acts; any later call with the
 * same id returns the recorded run (`replayed: true`) without acting again.
 * Failures are retried with backoff by the `action_retry` timer, which
 * survives restarts.
 */
import { AppError, type ErrorDetail } from '../../errors.ts';
import type { ActionRequest } from '../../domain/rules/rule-spec.ts';
import { getActionRun, insertActionRun, recordAttempt, type ActionRun } from '../../store/action-run-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { actionId } from '../../respond/action-id.ts';
import type { Action, ActionTarget } from '../../respond/action.ts';
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { authorize } from '../access/authorize.ts';
import { performAttempt, performLocalRun, scheduleLease, writeTimeline } from './action-attempt.ts';
import type { Queryable } from '../../store/db.ts';
import type { Incident } from '../../domain/incident.ts';

/** An action to run, as rules list them, plus the runbook step it belongs to (default: the action name). */
export interface ActionRunRequest extends ActionRequest {
  step?: string;
}

export interface RunActionOptions {
  /**
   * Wait for the first attempt of actions that call other systems (webhooks,
   * notifications). Default true. Detection passes false so a slow
   * application never holds up the rules; local actions (bans) always finish first.
   */
  awaitRemote?: boolean;
}

export interface ActionRunResult extends ActionRun {
  /** True when this id had run before: the recorded run is returned and nothing was done again. */
  replayed: boolean;
}

export interface PreparedAction {
  action: Action;
  params: Record<string, unknown>;
  target: ActionTarget;
  step: string;
  id: string;
}

/** Actions Firebreak knows but never runs by itself. */
const NOT_AUTOMATED: Readonly<Record<string, string>> = {
  run_command: 'run_command runs only as a runbook step, after a human approves it',
};

/** Validates an action request for an incident; returns every problem (paths relative to the request). */
export function prepareAction(
  deps: Pick<RespondDeps, 'response'>,
  incident: Incident,
  req: ActionRunRequest,
): PreparedAction | { problems: ErrorDetail[] } {
  const action = deps.response.actions.get(req.action);
  if (!action) {
    const known = [...deps.response.actions.keys()].join(', ');
    return { problems: [{ path: 'action', message: NOT_AUTOMATED[req.action] ?? `unknown action "${req.action}" (known: ${known})` }] };
  }
  const parsed = action.parseParams(req.params ?? {});
  if (!parsed.ok) return { problems: parsed.issues.map((i) => ({ path: i.path ? `params.${i.path}` : 'params', message: i.message })) };
  const target = action.target(parsed.params, incident);
  if (typeof target === 'string') return { problems: [{ path: 'params', message: target }] };
  const step = req.step ?? req.action;
  const id = actionId({ incidentId: incident.id, step, action: action.name, target: target.key, reopenCount: incident.reopen_count });
  return { action, params: parsed.params, target, step, id };
}

export async function runAction(
  deps: RespondDeps,
  actor: Actor,
  incident: Incident,
  req: ActionRunRequest,
  opts: RunActionOptions = {},
): Promise<ActionRunResult> {
  authorize(actor, 'decisions:write');
  const p = prepareAction(deps, incident, req);
  if ('problems' in p) {
    const first = p.problems[0]!;
    throw new AppError('invalid', `invalid action ${req.action}: ${first.path}: ${first.message}`, { details: p.problems });
  }
  const newRun = async (q: Queryable, now: Date): Promise<ActionRun | null> => {
    const run = await insertActionRun(q, {
      id: p.id,
      incident_id: incident.id,
      step: p.step,
      action: p.action.name,
      target: p.target.key,
      params: p.params,
      reopen_count: incident.reopen_count,
      max_attempts: p.action.remote ? deps.config.actions.attempts : 1 + Math.min(2, deps.config.actions.attempts - 1),
      requested_by: actor.name,
      now,
    });
    if (run)
      await writeAudit(q, {
        at: now,
        actor: actor.id,
        action: 'action.run',
        target: `incident:${incident.id}`,
        ip: actor.ip,
        details: { action: run.action, target: run.target, action_id: run.id, step: run.step },
      });
    return run;
  };
  if (!p.action.remote) {
    // Fast path: request, decision and outcome in one transaction.
    try {
      const done = await performLocalRun(deps, newRun, incident, p.params);
      return done ? { ...done, replayed: false } : { ...(await getActionRun(deps.db, p.id))!, replayed: true };
    } catch (err) {
      deps.logger.warn(
        { err, action: p.action.name, action_id: p.id },
        'local action failed in one transaction; recording it and retrying',
      );
    }
  }
  const created = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const run = await newRun(q, now);
    if (run) await scheduleLease(q, deps, run, 1, now);
    return run;
  });
  if (!created) {
    const existing = await getActionRun(deps.db, p.id);
    return { ...existing!, replayed: true };
  }
  if (p.action.remote && opts.awaitRemote === false) {
    deps.response.background(`action ${created.id}`, () => performAttempt(deps, created.id, 1));
    return { ...created, replayed: false };
  }
  const done = await performAttempt(deps, created.id, 1);
  return { ...(done ?? created), replayed: false };
}

/**
 * Records an action that cannot run for this incident (unknown, not automated,
 * no target) as a `skipped` run with its reason on the timeline, once per
 * action id. Used where the request comes from configuration (rules), not
 * from a caller who could fix it.
 */
export async function recordSkippedAction(
  deps: RespondDeps,
  actor: Actor,
  incident: Incident,
  req: ActionRunRequest,
  reason: string,
): Promise<ActionRunResult> {
  const step = req.step ?? req.action;
  const id = actionId({ incidentId: incident.id, step, action: req.action, target: 'none', reopenCount: incident.reopen_count });
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const run = await insertActionRun(q, {
      id,
      incident_id: incident.id,
      step,
      action: req.action,
      target: 'none',
      params: req.params ?? {},
      reopen_count: incident.reopen_count,
      max_attempts: 1,
      requested_by: actor.name,
      now,
    });
    if (!run) return { ...(await getActionRun(q, id))!, replayed: true };
    const result = { outcome: 'skipped' as const, message: reason };
    const updated = await recordAttempt(q, id, {
      status: 'skipped',
      outcome: 'skipped',
      next_attempt_at: null,
      last_error: null,
      result: { message: reason },
      now,
    });
    await writeTimeline(q, updated, result, now, null);
    return { ...updated, replayed: false };
  });
}
