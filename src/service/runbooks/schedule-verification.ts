/**
 * The `verify` timer chain of one incident. Each timer carries a sequence
 * number; only the one matching the run's `verify_seq` acts (a re-open
 * starts a new chain and the old one dies out). The handler schedules the
 * next round before deferring this round's checks, so a crash during the
 * checks never ends verification.
 *
 *   incident resolved, or no run, or stale seq, or no automated check → chain ends
 *   otherwise → next timer (seq + 1) at now + interval; checks run after commit
 */
import type { Queryable } from '../../store/db.ts';
import type { Timer } from '../../store/timer-repo.ts';
import { scheduleTimer } from '../../store/timer-repo.ts';
import { deleteFiredTimers } from '../../store/timer-prune-repo.ts';
import { getRun, updateRun } from '../../store/runbook-run-repo.ts';
import { getIncident } from '../../store/incident-repo.ts';
import type { RunState } from '../../domain/runbook-run.ts';
import type { Deps } from '../core/context.ts';
import { VERIFY_TIMER, type RunbookRuntime } from './runbook-runtime.ts';
import { verifyIncident } from './verify-incident.ts';

export function hasAutomatedChecks(state: RunState): boolean {
  return state.checks.some((c) => c.kind !== 'manual');
}

export async function scheduleVerification(q: Queryable, incidentId: string, seq: number, dueAt: Date, now: Date): Promise<void> {
  await scheduleTimer(q, { kind: VERIFY_TIMER, ref: `${incidentId}#${seq}`, dueAt, payload: { incident_id: incidentId, seq }, now });
}

export async function onVerifyTimer(deps: Deps, rt: RunbookRuntime, q: Queryable, timer: Timer, now: Date): Promise<void> {
  const p = timer.payload as { incident_id: string; seq: number };
  // Fired timers of this chain are history nobody reads: keep the table small.
  await deleteFiredTimers(q, VERIFY_TIMER, `${p.incident_id}#`);
  const run = await getRun(q, p.incident_id, true);
  if (!run || run.verifySeq !== p.seq || !hasAutomatedChecks(run.state)) return;
  const incident = await getIncident(q, p.incident_id);
  if (!incident || incident.status === 'resolved') return;
  const next = p.seq + 1;
  await updateRun(q, p.incident_id, { verifySeq: next }, now);
  await scheduleVerification(q, p.incident_id, next, new Date(now.getTime() + rt.verifyIntervalMs), now);
  rt.defer(() => verifyIncident(deps, rt, p.incident_id));
}
