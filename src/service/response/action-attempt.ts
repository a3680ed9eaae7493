/**
 * One attempt of an action run: execute the action outside any transaction
 * (it may wait on the network), then record the outcome, the retry and the
 * timeline entry in one transaction.
 *
 * Durability: while a run is not final there is exactly one pending timer
 * `action_retry` with ref `<run id>/<attempts + 1>`: while an attempt is in
 * flight it is due when the attempt's lease runs out (so a crash mid-attempt
 * is retried), after a retryable failure it is due at the backoff time.
 * Recording an attempt whose run has moved on (a later attempt started) is
 * a no-op: at-least-once delivery, deduplicated by the receivers through the
 * Idempotency-Key.
 *
 * Local actions (bans, rate limits: only the database is involved) take a
 * fast path first: request, decision and outcome in one transaction
 * (performLocalRun), so a detection's ban costs one commit.
 */
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../store/db.ts';
import { getActionRun, recordAttempt, setRunDecision, type ActionRun, type ActionRunStatus } from '../../store/action-run-repo.ts';
import type { Incident } from '../../domain/incident.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { getDecision } from '../../store/decision-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { cancelTimer, scheduleTimer } from '../../store/timer-repo.ts';
import type { ActionEffects, ActionResult, ActionTarget, DecideOutcome, DecideRequest } from '../../respond/action.ts';
import { retryDelayMs } from '../../respond/backoff.ts';
import type { RespondDeps } from './respond-deps.ts';
import { FIREBREAK_ORIGIN } from './respond-deps.ts';
import { decideInTx } from './decide.ts';
import { takeBanBudget } from './ban-budget.ts';

export const ACTION_RETRY_TIMER = 'action_retry';

/** How long an attempt may take before the run is retried as if it had failed. */
export function leaseMs(deps: Pick<RespondDeps, 'config'>): number {
  return deps.config.actions.timeout + 30_000;
}

export function retryRef(runId: string, attempt: number): string {
  return `${runId}/${attempt}`;
}

/** `ip:1.2.3.4` → {kind: 'ip', value: '1.2.3.4'}; `global` → {kind: 'global', value: null}. */
export function targetFromKey(key: string): ActionTarget {
  if (key === 'global') return { kind: 'global', value: null, key };
  const i = key.indexOf(':');
  return { kind: key.slice(0, i) as ActionTarget['kind'], value: key.slice(i + 1), key };
}

/** Schedules the lease timer of attempt `attempt` (the timer for attempt + 1). */
export async function scheduleLease(
  q: Queryable,
  deps: RespondDeps,
  run: Pick<ActionRun, 'id' | 'incident_id'>,
  attempt: number,
  now: Date,
): Promise<void> {
  await scheduleTimer(q, {
    kind: ACTION_RETRY_TIMER,
    ref: retryRef(run.id, attempt + 1),
    dueAt: new Date(now.getTime() + leaseMs(deps)),
    payload: { incident_id: run.incident_id },
    now,
  });
}

/** Makes (or reuses) the run's decision inside `q`; the caller's transaction. */
async function decideFor(q: Queryable, deps: RespondDeps, run: ActionRun, d: DecideRequest, now: Date): Promise<DecideOutcome> {
  if (d.type === 'ban' && /^(rule|runbook):/.test(run.requested_by)) {
    const refused = takeBanBudget(deps, run.requested_by, run.id, now); // automated bans per source and minute
    if (refused) return { status: 'refused', message: refused };
  }
  const out = await decideInTx(
    q,
    deps,
    {
      scope: d.scope,
      value: d.value,
      type: d.type,
      durationMs: d.durationMs,
      reason: d.reason,
      origin: FIREBREAK_ORIGIN,
      createdBy: run.requested_by,
      incidentId: run.incident_id,
      actionId: run.id,
      increment: d.increment ? { action: run.action, target: run.target, runId: run.id } : undefined,
    },
    now,
  );
  if (out.status !== 'allowlisted') {
    await setRunDecision(q, run.id, out.decision.id);
    if (out.status !== 'existing') await writeAudit(q, decisionAudit(now, run.requested_by, out, run.id));
  }
  return out;
}

/** The audit record of a decision an action created or extended (the single and the batched path write the same). */
export function decisionAudit(
  at: Date,
  actor: string,
  o: Extract<DecideOutcome, { status: 'created' | 'extended' | 'existing' }>,
  actionId: string | null | undefined,
): { at: Date; actor: string; action: string; target: string; details: Record<string, unknown> } {
  return {
    at,
    actor,
    action: `decision.${o.status === 'created' ? 'create' : 'extend'}`,
    target: `decision:${o.decision.id}`,
    details: { scope: o.decision.scope, value: o.decision.value, type: o.decision.type, until: o.decision.until, action_id: actionId },
  };
}

/**
 * The effects an attempt may have. With `inTx`, decisions are made in that
 * transaction (a local action run start to finish in one); otherwise each in
 * its own, reusing the decision an earlier attempt of the run made.
 */
function effects(deps: RespondDeps, run: ActionRun, inTx?: { q: Queryable; now: Date }): ActionEffects {
  return {
    now: deps.clock,
    decide: (d) =>
      inTx
        ? decideFor(inTx.q, deps, run, d, inTx.now)
        : deps.db.tx(async (q): Promise<DecideOutcome> => {
            const current = await getActionRun(q, run.id, true);
            if (current?.decision_id) {
              const earlier = await getDecision(q, current.decision_id);
              if (earlier)
                return {
                  status: 'existing',
                  decision: earlier,
                  durationMs: Date.parse(earlier.until) - Date.parse(earlier.created_at),
                  offence: Number(current.result?.offence ?? 1),
                };
            }
            return decideFor(q, deps, run, d, deps.clock());
          }),
    postToApp: (p) => deps.response.postToApp(p),
    postWebhook: (url, body, key, secret) => deps.response.postWebhook(url, body, key, secret),
    notify: (n) => deps.response.notify(n),
  };
}

function invocation(run: ActionRun, incident: Incident, params: Record<string, unknown>, attempt: number) {
  return {
    actionId: run.id,
    action: run.action,
    attempt,
    incident,
    target: targetFromKey(run.target),
    params,
    requestedAt: new Date(run.created_at),
    requestedBy: run.requested_by,
  };
}

/**
 * A local action (no other system involved) from request to outcome in one
 * transaction: the fast path of detection (a ban is on the stream as soon as
 * this commits). Throws when anything fails; the caller then takes the
 * durable path (runAction), which records and retries.
 */
export async function performLocalRun(
  deps: RespondDeps,
  newRun: (q: Queryable, now: Date) => Promise<ActionRun | null>,
  incident: Incident,
  params: Record<string, unknown>,
): Promise<ActionRun | null> {
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const run = await newRun(q, now);
    if (!run) return null;
    const action = deps.response.actions.get(run.action)!;
    const result = await action.execute(invocation(run, incident, params, 1), effects(deps, run, { q, now }));
    return applyOutcome(q, deps, run, 1, result, now);
  });
}

/**
 * Executes attempt `attempt` of a run and records it. Waits for the
 * transaction that started the attempt to commit (row lock) and does nothing
 * when the run is not at that attempt any more. Returns the run as recorded.
 */
export async function performAttempt(deps: RespondDeps, runId: string, attempt: number): Promise<ActionRun | null> {
  const run = await deps.db.tx((q) => getActionRun(q, runId, true));
  if (!run || run.status !== 'running' || run.attempts !== attempt) return run;
  const incident = await getIncident(deps.db, run.incident_id);
  const action = deps.response.actions.get(run.action);
  let result: ActionResult;
  if (!incident || !action) {
    result = {
      outcome: 'failed',
      retryable: false,
      message: !incident ? `incident ${run.incident_id} is gone` : `unknown action ${run.action}`,
    };
  } else {
    const parsed = action.parseParams(run.params);
    result = parsed.ok
      ? await execute(deps, run, incident, parsed.params, attempt)
      : {
          outcome: 'failed',
          retryable: false,
          message: `invalid params: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        };
  }
  return recordOutcome(deps, runId, attempt, result);
}

async function execute(
  deps: RespondDeps,
  run: ActionRun,
  incident: Incident,
  params: Record<string, unknown>,
  attempt: number,
): Promise<ActionResult> {
  const action = deps.response.actions.get(run.action)!;
  try {
    return await action.execute(invocation(run, incident, params, attempt), effects(deps, run));
  } catch (err) {
    const e = err instanceof AppError ? err : null;
    deps.logger.warn({ err, action: run.action, action_id: run.id }, 'action attempt threw');
    return {
      outcome: 'failed',
      retryable: e === null || e.code === 'unavailable',
      message: e ? e.message : `internal error: ${(err as Error)?.message ?? String(err)}`,
    };
  }
}

/** Records attempt `attempt`'s result: final state or the next retry, the timeline entry, the audit record. */
export async function recordOutcome(deps: RespondDeps, runId: string, attempt: number, result: ActionResult): Promise<ActionRun | null> {
  return deps.db.tx(async (q) => {
    const cur = await getActionRun(q, runId, true);
    if (!cur || cur.status !== 'running' || cur.attempts !== attempt) return cur;
    return applyOutcome(q, deps, cur, attempt, result, deps.clock());
  });
}

/** Final state or the next retry of `cur` after attempt `attempt`, the timeline entry and the audit record, in `q`. */
async function applyOutcome(
  q: Queryable,
  deps: RespondDeps,
  cur: ActionRun,
  attempt: number,
  result: ActionResult,
  now: Date,
): Promise<ActionRun> {
  const runId = cur.id;
  let status: ActionRunStatus;
  let next: Date | null = null;
  if (result.outcome === 'succeeded') status = 'succeeded';
  else if (result.outcome === 'failed') {
    const retry = result.retryable === true && attempt < cur.max_attempts;
    status = retry ? 'retrying' : 'failed';
    if (retry) next = new Date(now.getTime() + retryDelayMs(attempt, deps.config.actions, result.retryAfterMs));
  } else status = 'skipped';
  const data = { ...(result.data ?? {}), message: result.message };
  const updated = await recordAttempt(q, runId, {
    status,
    outcome: result.outcome,
    next_attempt_at: next,
    last_error: result.outcome === 'failed' ? result.message : null,
    result: data,
    now,
  });
  if (next)
    await scheduleTimer(q, {
      kind: ACTION_RETRY_TIMER,
      ref: retryRef(runId, attempt + 1),
      dueAt: next,
      payload: { incident_id: cur.incident_id },
      now,
    });
  else await cancelTimer(q, ACTION_RETRY_TIMER, retryRef(runId, attempt + 1));
  await writeTimeline(q, updated, result, now, next);
  await writeAudit(q, {
    at: now,
    actor: cur.requested_by,
    action: `action.${result.outcome}`,
    target: `incident:${cur.incident_id}`,
    details: { action: cur.action, target: cur.target, action_id: cur.id, attempt },
  });
  return updated;
}

/** The timeline entry of one attempt: kind `action`, or `allowlisted` when the allowlist stopped it. */
export async function writeTimeline(
  q: Queryable,
  run: ActionRun,
  result: Pick<ActionResult, 'outcome' | 'message' | 'data'>,
  now: Date,
  next: Date | null,
): Promise<void> {
  const retry = next
    ? ` (attempt ${run.attempts} of ${run.max_attempts}; retrying at ${next.toISOString()})`
    : result.outcome === 'failed' && run.attempts > 1
      ? ` (gave up after ${run.attempts} attempts)`
      : '';
  await appendTimeline(q, {
    incidentId: run.incident_id,
    at: now,
    kind: result.outcome === 'allowlisted' ? 'allowlisted' : 'action',
    actor: run.requested_by,
    message: `${run.action} ${run.target}: ${result.outcome}: ${result.message}${retry}`,
    data: {
      action: run.action,
      target: run.target,
      outcome: result.outcome,
      attempt: run.attempts,
      action_id: run.id,
      ...(next ? { next_attempt_at: next.toISOString() } : {}),
      ...(result.data ?? {}),
    },
  });
}
