/**
 * Local actions (bans, rate limits) of a whole batch of detections, in two
 * phases of a few multi-row transactions: the fast path of issue #13. Phase A
 * (decideLocalActions) decides every ban (through decideManyInTx: allowlist,
 * repeat offenders) with its decision's audit record; bans are on the bouncer
 * stream when it commits. Phase B (`record()`) writes what runAction's local
 * path writes besides: one action run per deterministic action id, and the
 * timeline entries and audit records of the outcomes.
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
import { decisionAudit, targetFromKey } from './action-attempt.ts';
import { decideManyInTx } from './decide-many.ts';
import { takeBanBudget } from './ban-budget.ts';
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

/** Targets named in a grouped timeline entry's data (the audit record names them all). */
const TIMELINE_SAMPLE = 20;

const NO_REMOTE = async () => ({ ok: false, retryable: false, error: 'a local action may not call other systems' });

/** An action of the batch as phase A decided it (its run record follows in phase B). */
export interface DecidedAction {
  incident_id: string;
  action: string;
  target: string;
  outcome: string;
}

export interface LocalDecisions {
  /** Actions decided now (replayed ones, whose run existed, are not listed). */
  decided: DecidedAction[];
  invalid: LocalBatchResult['invalid'];
  /** Phase B: writes the run records, timeline and audit. Call once. */
  record(): Promise<LocalBatchResult>;
}

/**
 * Phase A for every chunk: the decisions are committed (bans on the bouncer
 * stream) when it resolves; `record()` is phase B. Between the two, a crash
 * loses nothing: the detection is handled again, its decisions are found by
 * target (`existing`) and its runs are written then.
 */
export async function decideLocalActions(deps: RespondDeps, actor: Actor, items: readonly LocalActionItem[]): Promise<LocalDecisions> {
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
  if (todo.length === 0) return { decided: [], invalid, record: async () => ({ ran: [], replayed: 0, invalid }) };
  // Short transactions of at most CHUNK actions: the embedded database has one session, and ingestion waits behind each.
  // Enforcement first: every chunk's decisions commit (bans on the bouncer stream) before any chunk's run records,
  // timeline and audit are written, so the last ban of a storm does not wait for the bookkeeping of the first.
  const chunks: Chunk[] = [];
  for (let k = 0; k < todo.length; k += CHUNK) chunks.push({ todo: todo.slice(k, k + CHUNK), decided: null, done: null });
  for (const c of chunks) {
    try {
      c.decided = await decideChunk(deps, actor, c.todo);
    } catch (err) {
      deps.logger.warn({ err, actions: c.todo.length }, 'batched local actions failed; running them one by one');
      c.done = await oneByOne(deps, actor, c.todo); // enforcement still comes first, through runAction's durable path
    }
  }
  const decided: DecidedAction[] = [];
  for (const c of chunks) {
    if (c.decided)
      c.decided.work.forEach(({ item, p }, i) =>
        decided.push({
          incident_id: item.incident.id,
          action: p.action.name,
          target: p.target.key,
          outcome: c.decided!.results[i]!.outcome,
        }),
      );
    for (const run of c.done?.ran ?? [])
      decided.push({ incident_id: run.incident_id, action: run.action, target: run.target, outcome: run.outcome ?? run.status });
  }
  const record = async (): Promise<LocalBatchResult> => {
    const out: LocalBatchResult = { ran: [], replayed: 0, invalid };
    for (const c of chunks) {
      let r = c.done;
      if (!r && c.decided) {
        try {
          r = await recordChunk(deps, actor, c.decided);
        } catch (err) {
          deps.logger.warn({ err, actions: c.todo.length }, 'recording batched local actions failed; running them one by one');
        }
      }
      r ??= await oneByOne(deps, actor, c.todo); // their decisions, if made, are found by target: nothing is decided twice
      out.ran.push(...r.ran);
      out.replayed += r.replayed;
    }
    return out;
  };
  return { decided, invalid, record };
}

interface Chunk {
  todo: readonly { item: LocalActionItem; p: PreparedAction }[];
  decided: Decided | null;
  /** Run one by one after the batched transaction failed: nothing left for phase B. */
  done: { ran: ActionRun[]; replayed: number } | null;
}

/** What phase A decided for a chunk, for phase B to record. */
interface Decided {
  now: Date;
  work: readonly { item: LocalActionItem; p: PreparedAction }[];
  results: ActionResult[];
  decisionOf: Map<number, string>;
  replayed: number;
}

/** runAction's durable path, item by item (after a batched transaction failed). */
async function oneByOne(
  deps: RespondDeps,
  actor: Actor,
  todo: readonly { item: LocalActionItem; p: PreparedAction }[],
): Promise<{ ran: ActionRun[]; replayed: number }> {
  const ran: ActionRun[] = [];
  let replayed = 0;
  for (const { item } of todo) {
    const r = await runAction(deps, actor, item.incident, item.req, { awaitRemote: false });
    if (r.replayed) replayed++;
    else ran.push(r);
  }
  return { ran, replayed };
}

/**
 * Phase A, one transaction: runs each action up to its decide() call, decides
 * them all at once (with the decisions' audit records) and lets each finish.
 * Bans are on the bouncer stream when it commits.
 */
async function decideChunk(
  deps: RespondDeps,
  actor: Actor,
  todo: readonly { item: LocalActionItem; p: PreparedAction }[],
): Promise<Decided> {
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
    // The ban budget (ban-budget.ts), as on the single path: automated bans past it are answered `refused`.
    const budgeted = asked.filter((a) => {
      if (a.input.type !== 'ban' || !/^(rule|runbook):/.test(a.input.createdBy)) return true;
      const refused = takeBanBudget(deps, a.input.createdBy, a.input.actionId ?? '', now);
      if (refused) a.answer({ status: 'refused', message: refused });
      return refused === null;
    });
    const outcomes = await decideManyInTx(
      q,
      deps,
      budgeted.map((a) => a.input),
      now,
    );
    const decisionOf = new Map<number, string>();
    outcomes.forEach((o, k) => {
      const a = budgeted[k]!;
      if (o.status === 'invalid') return a.fail(o.error);
      if (o.status !== 'allowlisted') {
        decisionOf.set(a.i, o.decision.id);
        if (o.status !== 'existing') audits.push(decisionAudit(now, actor.name, o, a.input.actionId));
      }
      a.answer(o);
    });
    const results = await Promise.all(executions);
    await writeAuditMany(q, audits);
    return { now, work, results, decisionOf, replayed: todo.length - work.length };
  });
}

/**
 * Phase B, one transaction: the finished run records (the idempotency
 * records), one timeline entry and one audit record per incident, action and
 * outcome.
 */
async function recordChunk(deps: RespondDeps, actor: Actor, d: Decided): Promise<{ ran: ActionRun[]; replayed: number }> {
  const { now, work, results, decisionOf } = d;
  return deps.db.tx(async (q) => {
    const audits: Parameters<typeof writeAuditMany>[1][number][] = [];

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
    // One timeline entry and one audit record per incident, action and outcome: a campaign's
    // 800 bans of one batch are one line ("block_ip on 800 targets"), not 800 (its members
    // panel lists each address and decision); a lone action keeps its own detailed entry.
    const groups = new Map<string, number[]>();
    work.forEach(({ item, p }, i) => {
      const k = `${item.incident.id}\u0000${p.action.name}\u0000${results[i]!.outcome}`;
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    });
    const entries: NewTimelineEntry[] = [];
    for (const idx of groups.values()) {
      const { item, p } = work[idx[0]!]!;
      const r = results[idx[0]!]!;
      const kind = r.outcome === 'allowlisted' ? 'allowlisted' : 'action';
      if (idx.length === 1) {
        entries.push({
          incidentId: item.incident.id,
          at: now,
          kind,
          actor: actor.name,
          message: `${p.action.name} ${p.target.key}: ${r.outcome}: ${r.message}`,
          data: { action: p.action.name, target: p.target.key, outcome: r.outcome, attempt: 1, action_id: p.id, ...(r.data ?? {}) },
        });
        audits.push({
          at: now,
          actor: actor.name,
          action: `action.${r.outcome}`,
          target: `incident:${item.incident.id}`,
          details: { action: p.action.name, target: p.target.key, action_id: p.id, attempt: 1 },
        });
        continue;
      }
      const targets = idx.map((i) => work[i]!.p.target.key);
      entries.push({
        incidentId: item.incident.id,
        at: now,
        kind,
        actor: actor.name,
        message: `${p.action.name} on ${idx.length} targets: ${r.outcome} (${targets.slice(0, 3).join(', ')}, …)`,
        data: { action: p.action.name, outcome: r.outcome, attempt: 1, count: idx.length, targets: targets.slice(0, TIMELINE_SAMPLE) },
      });
      // The audit record names every target and action id: the trail stays complete.
      audits.push({
        at: now,
        actor: actor.name,
        action: `action.${r.outcome}`,
        target: `incident:${item.incident.id}`,
        details: { action: p.action.name, count: idx.length, targets, action_ids: idx.map((i) => work[i]!.p.id), attempt: 1 },
      });
    }
    await appendTimelineMany(q, entries);
    await writeAuditMany(q, audits);
    return { ran, replayed: d.replayed };
  });
}
