/**
 * What the runbook verbs need besides Deps: the loaded runbooks, the way
 * steps and checks touch the outside world (injected by main.ts so the
 * verbs stay testable and the layers stay apart), and a queue for work that
 * must run after the current transaction commits.
 *
 * Why a queue: commands and checks can take minutes; they never run inside
 * a database transaction (the embedded PostgreSQL has one session, so a
 * long transaction would stop everything). A timer handler claims the work
 * in its transaction and `defer`s the execution; the deferred job waits for
 * that transaction (row lock / session) before it starts.
 */
import type { Runbook } from '../../domain/runbook.ts';
import type { ActionRequest } from '../../domain/rules/rule-spec.ts';
import type { CommandResult } from '../../respond/command-runner.ts';
import type { Actor } from '../core/context.ts';
import type { Incident } from '../../domain/incident.ts';

/** Durable timer kinds (handlers registered in main.ts). */
export const STEP_TIMER = 'runbook_step';
export const VERIFY_TIMER = 'verify';

/**
 * Runs actions for an incident: `runIncidentActions(deps, actor, incident,
 * requests)` in main.ts. A rejection fails the step; the resolved action runs
 * are summarized for the timeline (a run that did not succeed fails the step).
 */
export type ActionRunner = (actor: Actor, incident: Incident, requests: (ActionRequest & { step?: string })[]) => Promise<unknown>;

/** How steps reach the outside world. */
export interface StepIo {
  actions: ActionRunner;
  shell(cmd: { command: string; cwd?: string; timeoutMs: number; signal?: AbortSignal }): Promise<CommandResult>;
  /** `language: sql` commands, on the application database. */
  sql(cmd: { query: string; timeoutMs: number }): Promise<CommandResult>;
}

/** One result of one check; `null` from a reader means "unknown, do not record". */
export interface CheckOutcome {
  ok: boolean;
  detail: string;
}

/** How verification checks read the world. */
export interface CheckIo {
  /** The probe manager's view of a probe. */
  probe(name: string): CheckOutcome | null;
  /** Whether the rule's value for the incident's key is below its threshold now. */
  rule(rule: string, incidentKey: string | null, now: Date): Promise<CheckOutcome | null>;
  http(url: string, status: number, timeoutMs: number): Promise<CheckOutcome>;
  /** Runs the query on `url` (or the application database); ok when it succeeds and, with `expect`, the first value matches. */
  sql(url: string | undefined, query: string, expect: unknown, timeoutMs: number): Promise<CheckOutcome>;
}

export interface RunbookRuntime {
  runbooks: ReadonlyMap<string, Runbook>;
  steps: StepIo;
  checks: CheckIo;
  /** Time between verification rounds of one incident. */
  verifyIntervalMs: number;
  /** Delay of a new run's `action` steps (see start-runbook-run.ts). */
  actionGraceMs: number;
  /** Runs `job` soon, after the caller's transaction; tracked so shutdown can wait for it. */
  defer(job: (signal: AbortSignal) => Promise<void>): void;
  /** Whether this process is executing this step attempt right now. */
  isExecuting(key: string): boolean;
  markExecuting(key: string, on: boolean): void;
  /** Asks the scheduler to look at due timers now (after approvals). */
  wake(): void;
}

/** The actor automated runbook work acts as: `runbook:<type>`. */
export function runbookActor(type: string): Actor {
  return { id: `runbook:${type}`, name: `runbook:${type}`, role: 'system' };
}

/** Timer ref of one step attempt's start or watchdog. */
export function stepTimerRef(incidentId: string, stepId: string, attempt: number, phase: 'start' | 'watchdog'): string {
  return `${incidentId}/${stepId}/${attempt}/${phase}`;
}

export function executionKey(incidentId: string, stepId: string, attempt: number): string {
  return `${incidentId}/${stepId}/${attempt}`;
}

/** Timer payload of `runbook_step`. */
export interface StepTimerPayload {
  incident_id: string;
  step: string;
  attempt: number;
  phase: 'start' | 'watchdog';
}
