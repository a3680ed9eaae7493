/**
 * The one place a decision is made, shared by the decisions API and the
 * actions (block_ip, rate_limit, lock_account). Runs inside the caller's
 * transaction.
 *
 *   target allowlisted                       → allowlisted (nothing written)
 *   no live decision for scope+value+type     → created
 *   live one already lasts at least as long   → existing
 *   live one ends sooner                      → extended (re-announced to bouncers)
 *   live one already expired                  → it is ended (expired), then created
 *
 * Repeat offenders: with `increment`, earlier succeeded runs of the same
 * action on the same target within `bans.window` lengthen the ban
 * (src/respond/ban-duration.ts).
 */
import { decisionTargetProblem } from '../../domain/decision-guard.ts';
import { decisionGuardFor } from '../../respond/own-addresses.ts';
import type { Cidr } from '../../domain/ip.ts';
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../store/db.ts';
import {
  endDecisions,
  extendDecision,
  findLiveDecision,
  insertDecision,
  lockDecisionChanges,
  type NewDecision,
} from '../../store/decision-repo.ts';
import { countSucceededRuns } from '../../store/action-run-repo.ts';
import {
  canonicalTarget,
  type CanonicalTarget,
  MAX_DURATION_MS,
  MIN_DURATION_MS,
  SCOPES_BY_TYPE,
  type DecisionScopeName,
  type DecisionType,
} from '../../respond/decision-target.ts';
import { banDurationMs } from '../../respond/ban-duration.ts';
import type { DecideOutcome } from '../../respond/action.ts';
import type { Deps } from '../core/context.ts';
import { allowlistedBy } from './allowlist.ts';

export interface DecideInput {
  scope: DecisionScopeName;
  value: string | undefined;
  type: DecisionType;
  /** Base duration; `until` wins when given. */
  durationMs?: number;
  until?: Date;
  reason: string;
  origin: string;
  createdBy: string;
  incidentId: string | null;
  actionId: string | null;
  /** Count earlier succeeded runs of this action on this target (repeat offenders). */
  increment?: { action: string; target: string; runId: string };
}

/**
 * The checks every decision passes before anything is written, one and
 * batched (decide-many.ts) alike: a canonical target of a scope its type
 * applies to. Throws AppError('invalid').
 */
export function checkDecisionInput(input: Pick<DecideInput, 'scope' | 'value' | 'type'>): Extract<CanonicalTarget, { ok: true }> {
  const t = canonicalTarget(input.scope, input.value);
  if (!t.ok) throw new AppError('invalid', `invalid decision value: ${t.message}`, { details: [{ path: 'value', message: t.message }] });
  const allowedScopes = SCOPES_BY_TYPE[input.type];
  if (!allowedScopes.includes(input.scope)) {
    const hint = input.type === 'ban' && input.scope === 'user' ? ' (to stop an account, use type "lock")' : '';
    throw new AppError('invalid', `a ${input.type} decision applies to scope ${allowedScopes.join(' or ')}, not ${input.scope}${hint}`, {
      details: [{ path: 'scope', message: `must be ${allowedScopes.join(' or ')} for type ${input.type}${hint}` }],
    });
  }
  return t;
}

/**
 * Guard rails (src/domain/decision-guard.ts, docs/security.md): an address or
 * range wider than `decisions.max_range`, covering 0.0.0.0 / :: or one of the
 * server's own addresses is refused. Throws AppError('invalid'). Called after
 * the allowlist check (an allowlisted target answers `allowlisted` as before),
 * by the single and the batched path.
 */
export function checkDecisionGuard(config: Pick<Deps, 'config'>['config'], cidr: Cidr): void {
  const problem = decisionTargetProblem(cidr, decisionGuardFor(config));
  if (problem) throw new AppError('invalid', `refused: ${problem}`, { details: [{ path: 'value', message: problem }] });
}

/** The row a new decision of `input` on target `t` is, for the single and the batched path alike. */
export function newDecisionRow(input: DecideInput, t: { value: string; net: string | null }, now: Date, until: Date): NewDecision {
  return {
    scope: input.scope,
    value: t.value,
    type: input.type,
    net: t.net,
    origin: input.origin,
    reason: input.reason,
    incident_id: input.incidentId,
    action_id: input.actionId,
    created_by: input.createdBy,
    created_at: now,
    until,
  };
}

export async function decideInTx(
  q: Queryable,
  deps: Pick<Deps, 'config'>,
  input: DecideInput,
  now: Date,
): Promise<Exclude<DecideOutcome, { status: 'refused' }>> {
  const t = checkDecisionInput(input);
  if (t.cidr) {
    const entry = await allowlistedBy(q, deps.config, t.cidr);
    if (entry) return { status: 'allowlisted', entry };
    checkDecisionGuard(deps.config, t.cidr);
  }

  let durationMs = input.until ? input.until.getTime() - now.getTime() : (input.durationMs ?? 0);
  let offence = 1;
  if (input.increment && !input.until) {
    const since = new Date(now.getTime() - deps.config.bans.window);
    const prior = await countSucceededRuns(q, input.increment.action, input.increment.target, since, input.increment.runId);
    durationMs = banDurationMs(durationMs, prior, deps.config.bans);
    offence = prior + 1;
  }
  durationMs = Math.min(durationMs, MAX_DURATION_MS);
  if (durationMs < MIN_DURATION_MS) {
    throw new AppError('invalid', 'a decision must last at least one second', {
      details: [{ path: input.until ? 'until' : 'duration', message: 'must be at least 1s in the future' }],
    });
  }
  const until = new Date(now.getTime() + durationMs);

  await lockDecisionChanges(q);
  const live = await findLiveDecision(q, input.scope, t.value, input.type, true);
  if (live && Date.parse(live.until) <= now.getTime()) {
    await endDecisions(q, [live.id], { at: new Date(live.until), by: 'expiry', reason: 'expired' });
  } else if (live && Date.parse(live.until) >= until.getTime()) {
    return { status: 'existing', decision: live, durationMs: Date.parse(live.until) - now.getTime(), offence };
  } else if (live) {
    return { status: 'extended', decision: await extendDecision(q, live.id, until, input.reason), durationMs, offence };
  }
  const decision = await insertDecision(q, newDecisionRow(input, t, now, until));
  return { status: 'created', decision, durationMs, offence };
}
