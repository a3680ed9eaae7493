/**
 * A runbook run: the state of one runbook executing for one incident. The
 * runbook is copied into the state when the incident opens, so editing the
 * runbook file later never changes a run in progress.
 *
 * Pure: every function takes the state and `now` (milliseconds since the
 * epoch) and returns a new state; the input is never mutated. The caller
 * (a service verb) executes the steps, persists the state and writes the
 * timeline; this module only decides what may happen next.
 */
import { AppError } from '../errors.ts';
import { checkKind, stepKind, type CheckKind, type Runbook, type Step, type StepKind } from './runbook.ts';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'awaiting_approval' | 'approved' | 'skipped' | 'done';
export type CheckStatus = 'unknown' | 'ok' | 'failing';

/** Progress of one immediate-action step. */
export interface StepState {
  id: string;
  kind: StepKind;
  status: StepStatus;
  /** Executions started so far (incremented by markStepRunning). */
  attempts: number;
  /** Output of the latest execution, at most MAX_OUTPUT_BYTES of UTF-8. */
  output?: string;
  error?: string;
  approvedBy?: string;
  /** Who completed (manual) or skipped the step. */
  completedBy?: string;
  note?: string;
  updatedAtMs: number;
}

/** Progress of one verification check. */
export interface CheckState {
  id: string;
  kind: CheckKind;
  status: CheckStatus;
  /** How long the check must keep passing (`below_for` / `hold_for`). */
  holdMs: number;
  /** Start of the current unbroken run of passing results. */
  okSinceMs?: number;
  lastCheckedAtMs?: number;
}

/** The whole run; plain data, safe to store as JSON. */
export interface RunState {
  runbook: Runbook;
  startedAtMs: number;
  updatedAtMs: number;
  /** Same order as runbook.immediate_actions. */
  steps: StepState[];
  /** Same order as runbook.verification. */
  checks: CheckState[];
}

/** Bound on stored step output; longer output keeps its head and tail around a marker. */
export const MAX_OUTPUT_BYTES = 64 * 1024;

/** Starts a run: manual and action steps `pending`, commands needing approval `awaiting_approval`. */
export function startRun(runbook: Runbook, nowMs: number): RunState {
  const snapshot = structuredClone(runbook);
  return {
    runbook: snapshot,
    startedAtMs: nowMs,
    updatedAtMs: nowMs,
    steps: snapshot.immediate_actions.map((s) => ({
      id: s.id,
      kind: stepKind(s),
      status: initialStatus(s),
      attempts: 0,
      updatedAtMs: nowMs,
    })),
    checks: snapshot.verification.map((c) => ({
      id: c.id,
      kind: checkKind(c),
      status: 'unknown',
      holdMs: 'below_for' in c ? c.below_for : 'hold_for' in c ? c.hold_for : 0,
    })),
  };
}

function initialStatus(s: Step): StepStatus {
  return 'command' in s && s.approval === 'required' ? 'awaiting_approval' : 'pending';
}

/*
 * Step transitions. Anything not listed throws AppError('conflict');
 * an unknown step id throws AppError('not_found').
 *
 *   kind                  from                         call                      to
 *   manual                pending                      completeManualStep        done
 *   command (approval)    awaiting_approval            approveStep               approved
 *   action, command(none) pending                      markStepRunning           running   (attempts + 1)
 *   command (approval)    approved                     markStepRunning           running   (attempts + 1)
 *   action, command       running                      recordStepResult ok       succeeded
 *   action, command       running                      recordStepResult not ok   failed
 *   action, command(none) failed                       retryStep                 pending
 *   command (approval)    failed                       retryStep                 awaiting_approval
 *   any                   pending, awaiting_approval,  skipStep                  skipped
 *                         approved, failed
 *
 * Invariants: an approval covers exactly one execution (a retry asks again);
 * succeeded, done and skipped are final; only `running` accepts a result.
 */

/** A human ticks off a manual checklist step. */
export function completeManualStep(state: RunState, stepId: string, by: string, note: string | undefined, nowMs: number): RunState {
  return transition(state, stepId, nowMs, (st) => {
    if (st.kind !== 'manual') throw conflict(st, 'is not a manual step');
    expect(st, ['pending'], 'complete');
    return { ...st, status: 'done', completedBy: by, ...(note === undefined ? {} : { note }) };
  });
}

/** A human approves one execution of a gated command. */
export function approveStep(state: RunState, stepId: string, by: string, nowMs: number): RunState {
  return transition(state, stepId, nowMs, (st) => {
    expect(st, ['awaiting_approval'], 'approve');
    return { ...st, status: 'approved', approvedBy: by };
  });
}

/** The caller starts executing an automated step. */
export function markStepRunning(state: RunState, stepId: string, nowMs: number): RunState {
  return transition(state, stepId, nowMs, (st) => {
    if (st.kind === 'manual') throw conflict(st, 'is a manual step; complete it instead');
    expect(st, ['pending', 'approved'], 'start');
    const { output: _o, error: _e, ...rest } = st;
    return { ...rest, status: 'running', attempts: st.attempts + 1 };
  });
}

/** The outcome of one execution of an automated step. */
export interface StepResult {
  ok: boolean;
  output?: string;
  error?: string;
}

/** Records the result of the running execution; output and error are bounded. */
export function recordStepResult(state: RunState, stepId: string, result: StepResult, nowMs: number): RunState {
  return transition(state, stepId, nowMs, (st) => {
    expect(st, ['running'], 'record a result for');
    return {
      ...st,
      status: result.ok ? 'succeeded' : 'failed',
      ...(result.output === undefined ? {} : { output: boundOutput(result.output) }),
      ...(result.error === undefined ? {} : { error: boundOutput(result.error) }),
    };
  });
}

/** Puts a failed step back in line; a gated command needs a new approval. */
export function retryStep(state: RunState, stepId: string, nowMs: number): RunState {
  return transition(state, stepId, nowMs, (st, def) => {
    expect(st, ['failed'], 'retry');
    const { approvedBy: _a, ...rest } = st;
    return { ...rest, status: initialStatus(def) };
  });
}

/** A human decides a step is not needed (e.g. the other branch of "PostgreSQL / Or Docker"). */
export function skipStep(state: RunState, stepId: string, by: string, reason: string | undefined, nowMs: number): RunState {
  return transition(state, stepId, nowMs, (st) => {
    expect(st, ['pending', 'awaiting_approval', 'approved', 'failed'], 'skip');
    return { ...st, status: 'skipped', completedBy: by, ...(reason === undefined ? {} : { note: reason }) };
  });
}

/**
 * The steps the caller should execute now, in runbook order: pending action
 * steps, pending commands that need no approval, approved commands. Steps do
 * not wait for one another: automation never waits on a human checklist.
 */
export function nextAutomatedSteps(state: RunState): Step[] {
  return state.steps
    .map((st, i) => [st, state.runbook.immediate_actions[i]!] as const)
    .filter(([st]) => st.kind !== 'manual' && (st.status === 'pending' || st.status === 'approved'))
    .map(([, def]) => def);
}

/** True when no step can change any more (every step succeeded, done or skipped). */
export function isRunFinished(state: RunState): boolean {
  return state.steps.every((s) => s.status === 'succeeded' || s.status === 'done' || s.status === 'skipped');
}

/**
 * Records one result of a check (for a manual check: a human's answer).
 * A result older than the last one recorded is ignored: results may arrive
 * out of order from concurrent probes, and the newer one already decided.
 */
export function recordCheck(state: RunState, checkId: string, ok: boolean, nowMs: number): RunState {
  const idx = state.checks.findIndex((c) => c.id === checkId);
  if (idx < 0) throw new AppError('not_found', `runbook ${state.runbook.type} has no check "${checkId}"`);
  const c = state.checks[idx]!;
  if (c.lastCheckedAtMs !== undefined && nowMs < c.lastCheckedAtMs) return state;
  const next: CheckState = ok
    ? { ...c, status: 'ok', okSinceMs: c.status === 'ok' && c.okSinceMs !== undefined ? c.okSinceMs : nowMs, lastCheckedAtMs: nowMs }
    : { id: c.id, kind: c.kind, holdMs: c.holdMs, status: 'failing', lastCheckedAtMs: nowMs };
  const checks = state.checks.slice();
  checks[idx] = next;
  return { ...state, checks, updatedAtMs: Math.max(state.updatedAtMs, nowMs) };
}

/**
 * True when every automated (non-manual) check has passed without a break
 * for at least its hold duration. A runbook without automated checks is
 * never satisfied here: only a human can resolve such an incident.
 */
export function verificationSatisfied(state: RunState, nowMs: number): boolean {
  const automated = state.checks.filter((c) => c.kind !== 'manual');
  return automated.length > 0 && automated.every((c) => c.status === 'ok' && c.okSinceMs !== undefined && nowMs - c.okSinceMs >= c.holdMs);
}

/**
 * Bounds text to `maxBytes` of UTF-8, keeping the head (what ran) and the
 * tail (how it ended) around a `[... N bytes truncated ...]` marker.
 */
export function boundOutput(text: string, maxBytes: number = MAX_OUTPUT_BYTES): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  const marker = (n: number): string => `\n[... ${n} bytes truncated ...]\n`;
  const room = maxBytes - new TextEncoder().encode(marker(bytes.length)).length;
  const headEnd = charBoundary(bytes, Math.floor(room / 4));
  const tailStart = charBoundary(bytes, bytes.length - (room - headEnd));
  const dec = new TextDecoder();
  return dec.decode(bytes.subarray(0, headEnd)) + marker(tailStart - headEnd) + dec.decode(bytes.subarray(tailStart));
}

/** Moves an index forward to the start of a UTF-8 character (never splits one). */
function charBoundary(bytes: Uint8Array, i: number): number {
  let j = Math.max(0, Math.min(i, bytes.length));
  while (j < bytes.length && (bytes[j]! & 0xc0) === 0x80) j++;
  return j;
}

function transition(state: RunState, stepId: string, nowMs: number, fn: (st: StepState, def: Step) => StepState): RunState {
  const idx = state.steps.findIndex((s) => s.id === stepId);
  if (idx < 0) throw new AppError('not_found', `runbook ${state.runbook.type} has no step "${stepId}"`);
  const next = fn(state.steps[idx]!, state.runbook.immediate_actions[idx]!);
  const steps = state.steps.slice();
  steps[idx] = { ...next, updatedAtMs: nowMs };
  return { ...state, steps, updatedAtMs: Math.max(state.updatedAtMs, nowMs) };
}

function expect(st: StepState, allowed: StepStatus[], verb: string): void {
  if (!allowed.includes(st.status)) throw conflict(st, `is ${st.status}; cannot ${verb} it (allowed from: ${allowed.join(', ')})`);
}

function conflict(st: StepState, why: string): AppError {
  return new AppError('conflict', `step "${st.id}" ${why}`);
}
