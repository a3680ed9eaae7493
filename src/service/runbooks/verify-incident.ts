/**
 * One verification round of an incident's runbook (deferred by the `verify`
 * timer): run every automated check outside any transaction, then record
 * the results and decide, in one transaction:
 *
 *   every automated check held for its duration, not yet mitigated
 *        → mitigated_at = now, timeline `mitigated`; auto_resolve → resolved as `runbook:<type>`
 *   mitigated, and a check fails again
 *        → mitigated_at cleared, timeline `verification_failed` with the reason; the incident stays open
 *   a check changes between passing and failing → timeline `check` with its detail
 *
 * A check whose reader cannot tell (no probe result yet, rule value not
 * readable) is not recorded: an unknown check never counts as passing.
 * Results of a round that started before a re-open are dropped.
 */
import { AppError } from '../../errors.ts';
import type { Incident } from '../../domain/incident.ts';
import { getIncident, updateIncident } from '../../store/incident-repo.ts';
import { getRun, updateRun } from '../../store/runbook-run-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { recordCheck, verificationSatisfied } from '../../domain/runbook-run.ts';
import type { Check } from '../../domain/runbook.ts';
import type { Deps } from '../core/context.ts';
import { runbookActor, type CheckOutcome, type RunbookRuntime } from './runbook-runtime.ts';
import { resolveIncident } from '../incidents/resolve-incident.ts';

/** Longest one http or sql check may take. */
export const CHECK_TIMEOUT_MS = 5_000;

export async function verifyIncident(deps: Deps, rt: RunbookRuntime, incidentId: string): Promise<void> {
  const [run, before] = [await getRun(deps.db, incidentId), await getIncident(deps.db, incidentId)];
  if (!run || !before || before.status === 'resolved') return;
  const at = deps.clock();
  const results = await Promise.all(
    run.state.runbook.verification.map(async (c): Promise<[Check, CheckOutcome | null]> => {
      try {
        return [c, await evaluate(rt, c, before, at)];
      } catch (err) {
        return [c, { ok: false, detail: (err as Error).message || String(err) }];
      }
    }),
  );

  const actor = runbookActor(run.type);
  const decided = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const inc = await getIncident(q, incidentId, true);
    const current = await getRun(q, incidentId, true);
    if (!inc || !current || inc.status === 'resolved' || inc.reopen_count !== before.reopen_count) return null;
    let state = current.state;
    const failing: string[] = [];
    for (const [c, r] of results) {
      if (!r) continue;
      const was = state.checks.find((x) => x.id === c.id)?.status;
      state = recordCheck(state, c.id, r.ok, at.getTime());
      if (!r.ok) failing.push(`"${c.title}" (${r.detail})`);
      if (was !== (r.ok ? 'ok' : 'failing')) {
        await appendTimeline(q, {
          incidentId,
          at: now,
          kind: 'check',
          actor: actor.name,
          message: `Check "${c.title}" ${r.ok ? 'passing' : 'failing'}: ${r.detail}`,
          data: { check: c.id, ok: r.ok, detail: r.detail },
        });
      }
    }
    const satisfied = verificationSatisfied(state, now.getTime());
    let verifiedAt: Date | undefined;
    let changed: Incident | null = null;
    if (satisfied && !inc.mitigated_at) {
      verifiedAt = now;
      changed = await updateIncident(q, incidentId, { mitigated_at: now, updated_at: now });
      const names = state.runbook.verification.filter((c) => !('manual' in c)).map((c) => `"${c.title}"`);
      await appendTimeline(q, {
        incidentId,
        at: now,
        kind: 'mitigated',
        actor: actor.name,
        message: `Mitigated: every verification check holds (${names.join(', ')})${state.runbook.auto_resolve ? '; resolving (auto_resolve)' : '; a responder resolves it'}`,
        data: { checks: state.checks.filter((c) => c.kind !== 'manual').map((c) => c.id) },
      });
    } else if (!satisfied && inc.mitigated_at && failing.length > 0) {
      changed = await updateIncident(q, incidentId, { mitigated_at: null, updated_at: now });
      await appendTimeline(q, {
        incidentId,
        at: now,
        kind: 'verification_failed',
        actor: actor.name,
        message: `No longer mitigated: ${failing.join('; ')} failing again; the incident stays open`,
        data: { failing: results.filter(([, r]) => r && !r.ok).map(([c]) => c.id) },
      });
    }
    await updateRun(q, incidentId, { state, ...(verifiedAt ? { verifiedAt } : {}) }, now);
    return { changed, resolve: satisfied && state.runbook.auto_resolve };
  });
  if (!decided) return;
  if (decided.changed) deps.bus.publish({ type: 'incident.changed', incident: decided.changed });
  if (decided.resolve) {
    try {
      await resolveIncident(deps, actor, incidentId, 'every verification check holds (auto_resolve)');
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err; // resolved meanwhile
    }
  }
}

function evaluate(rt: RunbookRuntime, c: Check, incident: Incident, at: Date): Promise<CheckOutcome | null> | CheckOutcome | null {
  if ('probe' in c) return rt.checks.probe(c.probe);
  if ('rule' in c) return rt.checks.rule(c.rule, incident.dedup_key, at);
  if ('http' in c) return rt.checks.http(c.http.url, c.http.status, CHECK_TIMEOUT_MS);
  if ('sql' in c) return rt.checks.sql(c.sql.url, c.sql.query, c.sql.expect, CHECK_TIMEOUT_MS);
  return null; // manual: a human's call, never automated
}
