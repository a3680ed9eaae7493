/**
 * Executes one claimed step attempt, outside any transaction, and records
 * the outcome (state + `step` timeline entry with output and exit code).
 *
 * Runs only when the lease written by beginRunbookStep is still ours: a
 * claim whose transaction rolled back, or a step that a watchdog already
 * declared interrupted, is never executed or overwritten. A result that
 * arrives after the watchdog (never expected: the runner's timeout always
 * fires first) still goes on the timeline, marked late, without changing state.
 */
import { getRun, updateRun } from '../../store/runbook-run-repo.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { cancelTimer } from '../../store/timer-repo.ts';
import { recordStepResult, boundOutput, type StepResult } from '../../domain/runbook-run.ts';
import { stepKind, type Step } from '../../domain/runbook.ts';
import type { CommandResult } from '../../respond/command-runner.ts';
import type { Deps } from '../core/context.ts';
import { STEP_TIMER, executionKey, runbookActor, stepTimerRef, type RunbookRuntime } from './runbook-runtime.ts';

/** Longest an action may take before its step fails (actions cannot be killed, only abandoned). */
export const ACTION_TIMEOUT_MS = 60_000;

export interface StepJob {
  incidentId: string;
  stepId: string;
  attempt: number;
  token: string;
}

interface Outcome extends StepResult {
  data: Record<string, unknown>;
}

export async function executeRunbookStep(deps: Deps, rt: RunbookRuntime, job: StepJob, signal: AbortSignal): Promise<void> {
  const key = executionKey(job.incidentId, job.stepId, job.attempt);
  // Waits for the claiming transaction (row lock), then checks the claim is still ours.
  const claimed = await deps.db.tx(async (q) => {
    const run = await getRun(q, job.incidentId, true);
    if (!run || run.leases[job.stepId]?.token !== job.token) return null;
    const idx = run.state.steps.findIndex((s) => s.id === job.stepId);
    const st = run.state.steps[idx];
    if (!st || st.status !== 'running' || st.attempts !== job.attempt) return null;
    const incident = await getIncident(q, job.incidentId);
    return incident ? { def: run.state.runbook.immediate_actions[idx]!, type: run.type, incident } : null;
  });
  if (!claimed) return;
  const { def, type, incident } = claimed;
  rt.markExecuting(key, true);
  let outcome: Outcome;
  try {
    outcome = await execute(rt, def, type, incident, signal);
  } catch (err) {
    outcome = { ok: false, error: (err as Error).message || String(err), data: {} };
  } finally {
    rt.markExecuting(key, false);
  }

  const actor = runbookActor(type);
  await deps.db.tx(async (q) => {
    const now = deps.clock();
    const run = await getRun(q, job.incidentId, true);
    if (!run) return;
    const st = run.state.steps.find((s) => s.id === job.stepId);
    const ours = st?.status === 'running' && st.attempts === job.attempt && run.leases[job.stepId]?.token === job.token;
    if (ours) {
      const state = recordStepResult(
        run.state,
        job.stepId,
        { ok: outcome.ok, output: outcome.output, error: outcome.error },
        now.getTime(),
      );
      const { [job.stepId]: _done, ...leases } = run.leases;
      await updateRun(q, job.incidentId, { state, leases }, now);
      await cancelTimer(q, STEP_TIMER, stepTimerRef(job.incidentId, job.stepId, job.attempt, 'watchdog'));
    }
    const what = 'action' in def ? ` (${def.action})` : '';
    await appendTimeline(q, {
      incidentId: job.incidentId,
      at: now,
      kind: 'step',
      actor: actor.name,
      message: `Step "${def.title}" (${def.id})${what} ${outcome.ok ? 'succeeded' : `failed: ${outcome.error ?? 'failed'}`}${ours ? '' : ' (late result; the step had already been marked interrupted)'}`,
      data: {
        step: def.id,
        kind: stepKind(def),
        attempt: job.attempt,
        status: outcome.ok ? 'succeeded' : 'failed',
        ...outcome.data,
        ...(outcome.output !== undefined ? { output: boundOutput(outcome.output) } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(ours ? {} : { late: true }),
      },
    });
  });
  const updated = await getIncident(deps.db, job.incidentId);
  if (updated) deps.bus.publish({ type: 'incident.changed', incident: updated });
}

async function execute(
  rt: RunbookRuntime,
  def: Step,
  type: string,
  incident: Parameters<RunbookRuntime['steps']['actions']>[1],
  signal: AbortSignal,
): Promise<Outcome> {
  if ('action' in def) {
    // `step` is the action's name, as for a rule's own actions: the action id
    // (incident, step, action, target) is then the same as the rule's, so a
    // step that repeats what the detection already did (block_ip, notify)
    // replays that run instead of banning twice (and doubling the ban).
    const request = { action: def.action, params: def.params, step: def.action };
    const result = await withTimeout(rt.steps.actions(runbookActor(type), incident, [request]), ACTION_TIMEOUT_MS, `action ${def.action}`);
    const failure = findFailure(result);
    const output = result === undefined ? undefined : summarize(result);
    return {
      ok: failure === null,
      ...(output ? { output } : {}),
      ...(failure !== null ? { error: failure } : {}),
      data: { action: def.action },
    };
  }
  if ('command' in def) {
    const r: CommandResult =
      def.language === 'sql'
        ? await rt.steps.sql({ query: def.command, timeoutMs: def.timeout })
        : await rt.steps.shell({ command: def.command, cwd: def.cwd, env: def.env, timeoutMs: def.timeout, signal });
    return {
      ok: r.exitCode === 0 && !r.timedOut && !r.aborted,
      output: r.output,
      ...(r.error ? { error: r.error } : {}),
      data: {
        command: def.command,
        language: def.language,
        exit_code: r.exitCode,
        ...(r.signal ? { signal: r.signal } : {}),
        timed_out: r.timedOut,
        duration_ms: r.durationMs,
        output_bytes: r.outputBytes,
        truncated: r.truncated,
      },
    };
  }
  return { ok: false, error: 'a manual step is completed by a responder, not executed', data: {} };
}

/**
 * The first failure an action runner reported, in an object or an array of
 * them: an action run whose `status` is not `succeeded` (`failed`, `skipped`,
 * or `retrying`: the action keeps retrying on its own, and a retry of the
 * step shows its latest state), or `ok: false` / an `error`.
 */
function findFailure(result: unknown): string | null {
  for (const it of Array.isArray(result) ? result : [result]) {
    if (!it || typeof it !== 'object') continue;
    const o = it as { ok?: unknown; error?: unknown; action?: unknown; status?: unknown; outcome?: unknown; last_error?: unknown };
    const bad = typeof o.status === 'string' ? o.status !== 'succeeded' : o.ok === false || (o.error !== undefined && o.error !== null);
    if (!bad) continue;
    const why = [o.status, o.outcome, o.last_error ?? o.error].filter((x) => typeof x === 'string' && x !== '').join(': ') || 'failed';
    return typeof o.action === 'string' ? `${o.action} ${why}` : why;
  }
  return null;
}

/** One line per action run (`block_ip ip:203.0.113.5: succeeded (created)`), else JSON. */
function summarize(result: unknown): string {
  const items = Array.isArray(result) ? result : [result];
  if (
    items.every(
      (it) =>
        it &&
        typeof it === 'object' &&
        typeof (it as { action?: unknown }).action === 'string' &&
        typeof (it as { status?: unknown }).status === 'string',
    )
  ) {
    return items
      .map((it) => {
        const o = it as { action: string; status: string; target?: unknown; outcome?: unknown; last_error?: unknown; replayed?: unknown };
        return `${o.action}${typeof o.target === 'string' ? ` ${o.target}` : ''}: ${o.status}${typeof o.outcome === 'string' && o.outcome !== o.status ? ` (${o.outcome})` : ''}${o.replayed === true ? ' [already run for this incident]' : ''}${typeof o.last_error === 'string' && o.status !== 'succeeded' ? ` — ${o.last_error}` : ''}`;
      })
      .join('\n');
  }
  return safeJson(result);
}

function safeJson(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}
