/**
 * The `action_retry` timer handler (wired in main.ts). Runs inside the
 * scheduler's transaction: it starts attempt N (`<run id>/<N>`) and its
 * lease, and hands the attempt itself to the background, which waits for
 * this transaction to commit before acting (see action-attempt.ts). A timer
 * for an attempt that already started, or for a finished run, does nothing.
 */
import type { Queryable } from '../../store/db.ts';
import type { Timer } from '../../store/timer-repo.ts';
import { FINAL_RUN_STATUSES, getActionRun, recordAttempt, startAttempt } from '../../store/action-run-repo.ts';
import type { RespondDeps } from './respond-deps.ts';
import { performAttempt, scheduleLease, writeTimeline } from './action-attempt.ts';

export async function retryActionRun(deps: RespondDeps, q: Queryable, timer: Timer, now: Date): Promise<void> {
  const m = /^(.+)\/(\d+)$/.exec(timer.ref);
  if (!m) return;
  const runId = m[1]!;
  const attempt = Number(m[2]);
  const run = await getActionRun(q, runId, true);
  if (!run || FINAL_RUN_STATUSES.includes(run.status) || run.attempts >= attempt) return;
  if (attempt > run.max_attempts) {
    // The lease of the last attempt ran out without an answer (the process stopped mid-attempt).
    const message = `no result from attempt ${run.attempts} (Firebreak stopped while it ran); giving up after ${run.max_attempts} attempts`;
    const updated = await recordAttempt(q, runId, {
      status: 'failed',
      outcome: 'failed',
      next_attempt_at: null,
      last_error: message,
      result: null,
      now,
    });
    await writeTimeline(q, updated, { outcome: 'failed', message }, now, null);
    return;
  }
  await startAttempt(q, runId, attempt, now);
  await scheduleLease(q, deps, run, attempt, now);
  deps.response.background(`action ${runId} attempt ${attempt}`, () => performAttempt(deps, runId, attempt));
}
