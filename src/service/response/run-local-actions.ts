/**
 * Local actions (bans, rate limits) of a whole batch of detections in one
 * transaction: the fast path of issue #13. The same records as runAction's
 * local path — one action run per deterministic action id, its decision
 * (through decideManyInTx: allowlist, repeat offenders), the `action` or
 * `allowlisted` timeline entry and the audit records — written with a few
 * multi-row statements. Bans are on the bouncer stream when it commits.
 *
 * Each action's own `execute` still decides what to ask for and what to say:
 * its `fx.decide` call is collected, all of them are decided together, and
 * each call is then answered with its own outcome.
 *
 * Idempotent: a run whose id exists is skipped (re-handled detections act
 * once). When the batch transaction fails, every item takes runAction's
 * durable path one by one (recorded and retried).
 */
import { AppError } from '../../errors.ts';
import type { Incident } from '../../domain/incident.ts';
import { existingRunIds, insertFinishedRuns, type ActionRun, type ActionRunStatus } from '../../store/action-run-repo.ts';
import { appendTimelineMany, type NewTimelineEntry } from '../../store/timeline-repo.ts';
import { writeAuditMany } from '../../store/audit-repo.ts';
import type { ActionEffects, ActionResult, DecideOutcome, DecideRequest } from '../../respond/action.ts';
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { FIREBREAK_ORIGIN } from './respond-deps.ts';
import { prepareAction, runAction, type ActionRunRequest, type PreparedAction } from './run-action.ts';
import { targetFromKey } from './action-attempt.ts';
import { decideManyInTx } from './decide-many.ts';
import type { DecideInput } from './decide.ts';

export interface LocalActionItem {
  incident: Incident;
  req: ActionRunRequest;
}

export interface LocalBatchResult {
  /** Runs made now, with their outcome. */
  ran: ActionRun[];
  /** Items whose action id had run before (re-handled detections). */
  replayed: number;
  /** Items that could not be prepared (reason per item). */
  invalid: { item: LocalActionItem; reason: string }[];
}

const CHUNK = 1000;

const NO_REMOTE = async () => ({ ok: false, retryable: false, error: 'a local action may not call other systems' });

export async function runLocalActions(deps: RespondDeps, actor: Actor, items: readonly LocalActionItem[]): Promise<LocalBatchResult> {
  const invalid: LocalBatchResult['invalid'] = [];
  const seen = new Set<string>();
  const todo: { item: LocalActionItem; p: PreparedAction }[] = [];
  for (const item of items) {
    const p = prepareAction(deps, item.incident, item.req);
    if ('problems' in p) invalid.push({ item, reason: p.problems.map((x) => x.message).join('; ') });
    else if (p.action.remote) invalid.push({ item, reason: `${p.action.name} is not a local action` });
    else if (!seen.has(p.id)) {
      seen.add(p.id);
      todo.push({ item, p });
    }
  }
  if (todo.length === 0) return { ran: [], replayed: 0, invalid };
  // A few transactions of at most CHUNK actions: the embedded database has one session, and ingestion's reads wait behind them.
  const out: LocalBatchResult = { ran: [], replayed: 0, invalid };
  for (let k = 0; k < todo.length; k += CHUNK) {
    const r = await runChunk(deps, actor, todo.slice(k, k + CHUNK));
    out.ran.push(...r.ran);
    out.replayed += r.replayed;
  }
  return out;
}

async function runChunk(
  deps: RespondDeps,
  actor: Actor,
  todo: readonly { item: LocalActionItem; p: PreparedAction }[],
): Promise<{ ran: ActionRun[]; replayed: number }> {
  try {
    return await runInOneTx(deps, actor, todo);
  } catch (err) {
    deps.logger.warn({ err, actions: todo.length }, 'batched local actions failed; running them one by one');
    const ran: ActionRun[] = [];
    let replayed = 0;
    for (const { item } of todo) {
      const r = await runAction(deps, actor, item.incident, item.req, { awaitRemote: false });
      if (r.replayed) replayed++;
      else ran.push(r);
    }
    return { ran, replayed };
  }
}

async function runInOneTx(
  deps: RespondDeps,
  actor: Actor,
  todo: readonly { item: LocalActionItem; p: PreparedAction }[],
): Promise<{ ran: ActionRun[]; replayed: number }> {
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const seen = await existingRunIds(
      q,
      todo.map(({ p }) => p.id),
    );
    const work = todo.filter(({ p }) => !seen.has(p.id));
    // No `action.run` audit record here: the run is written finished, with its `action.<outcome>` record, in this transaction.
    const audits: Parameters<typeof writeAuditMany>[1][number][] = [];

    // Run every action up to its decide() call, decide them all at once, then let each finish.
    const asked: { i: number; input: DecideInput; answer: (o: DecideOutcome) => void; fail: (e: unknown) => void }[] = [];
    const executions = work.map(({ item, p }, i) => {
      const fx: ActionEffects = {
        now: deps.clock,
        decide: (d: DecideRequest) =>
          new Promise<DecideOutcome>((answer, fail) => {
            asked.push({
              i,
              input: {
                scope: d.scope,
                value: d.value,
                type: d.type,
                durationMs: d.durationMs,
                reason: d.reason,
                origin: FIREBREAK_ORIGIN,
                createdBy: actor.name,
                incidentId: item.incident.id,
                actionId: p.id,
                increment: d.increment ? { action: p.action.name, target: p.target.key, runId: p.id } : undefined,
              },
              answer,
              fail,
            });
          }),
        postToApp: NO_REMOTE,
        postWebhook: NO_REMOTE,
        notify: NO_REMOTE,
      };
      return p.action
        .execute(
          {
            actionId: p.id,
            action: p.action.name,
            attempt: 1,
            incident: item.incident,
            target: targetFromKey(p.target.key),
            params: p.params,
            requestedAt: now,
            requestedBy: actor.name,
          },
          fx,
        )
        .catch((err: unknown): ActionResult => ({
          outcome: 'failed',
          retryable: false,
          message: err instanceof AppError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`,
        }));
    });
    // Local actions ask for their decision before their first await; give stragglers one turn of the event loop.
    await new Promise((r) => setImmediate(r));
    const outcomes = await decideManyInTx(
      q,
      deps,
      asked.map((a) => a.input),
      now,
    );
    const decisionOf = new Map<number, string>();
    outcomes.forEach((o, k) => {
      const a = asked[k]!;
      if (o.status === 'invalid') return a.fail(o.error);
      if (o.status !== 'allowlisted') {
        decisionOf.set(a.i, o.decision.id);
        if (o.status !== 'existing')
          audits.push({
            at: now,
            actor: actor.name,
            action: `decision.${o.status === 'created' ? 'create' : 'extend'}`,
            target: `decision:${o.decision.id}`,
            details: {
              scope: o.decision.scope,
              value: o.decision.value,
              type: o.decision.type,
              until: o.decision.until,
              action_id: a.input.actionId,
            },
          });
      }
      a.answer(o);
    });
    const results = await Promise.all(executions);
    const statusOf = (r: ActionResult): ActionRunStatus =>
      r.outcome === 'succeeded' ? 'succeeded' : r.outcome === 'failed' ? 'failed' : 'skipped';
    const ran = await insertFinishedRuns(
      q,
      work.map(({ item, p }, i) => ({
        id: p.id,
        incident_id: item.incident.id,
        step: p.step,
        action: p.action.name,
        target: p.target.key,
        params: p.params,
        reopen_count: item.incident.reopen_count,
        max_attempts: 1 + Math.min(2, deps.config.actions.attempts - 1),
        requested_by: actor.name,
        now,
        status: statusOf(results[i]!),
        outcome: results[i]!.outcome,
        result: { ...(results[i]!.data ?? {}), message: results[i]!.message },
        decision_id: decisionOf.get(i) ?? null,
      })),
    );
    const entries: NewTimelineEntry[] = work.map(({ item, p }, i) => {
      const r = results[i]!;
      return {
        incidentId: item.incident.id,
        at: now,
        kind: r.outcome === 'allowlisted' ? 'allowlisted' : 'action',
        actor: actor.name,
        message: `${p.action.name} ${p.target.key}: ${r.outcome}: ${r.message}`,
        data: { action: p.action.name, target: p.target.key, outcome: r.outcome, attempt: 1, action_id: p.id, ...(r.data ?? {}) },
      };
    });
    await appendTimelineMany(q, entries);
    for (const [i, { item, p }] of work.entries())
      audits.push({
        at: now,
        actor: actor.name,
        action: `action.${results[i]!.outcome}`,
        target: `incident:${item.incident.id}`,
        details: { action: p.action.name, target: p.target.key, action_id: p.id, attempt: 1 },
      });
    await writeAuditMany(q, audits);
    return { ran, replayed: todo.length - work.length };
  });
}
