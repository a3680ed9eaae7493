/**
 * decideInTx for a whole batch of detections: the same outcomes, decided
 * with a handful of statements instead of a handful per decision.
 *
 * Every input passes the checks of the single path (checkDecisionInput, the
 * allowlist through loadAllowlist/findAllowlisted, repeat-offender doubling
 * through banDurationMs). Inputs are applied in order, so two inputs for the
 * same target behave as two calls of decideInTx would:
 *
 *   target allowlisted                         → allowlisted (nothing written)
 *   no live decision (nor an earlier input)     → created
 *   the live (or planned) one lasts as long     → existing
 *   it ends sooner                              → extended
 *   the live one already expired                → it is ended (expired), then created
 *   invalid input                               → invalid (with the AppError; the others still go ahead)
 */
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../store/db.ts';
import {
  decisionKey,
  endDecisions,
  extendDecisions,
  findLiveDecisionsMany,
  insertDecisionsReturning,
  lockDecisionChanges,
  type Decision,
  type NewDecision,
} from '../../store/decision-repo.ts';
import { countSucceededRunsMany } from '../../store/action-run-repo.ts';
import { MAX_DURATION_MS, MIN_DURATION_MS } from '../../respond/decision-target.ts';
import { banDurationMs } from '../../respond/ban-duration.ts';
import { findAllowlisted } from '../../respond/allowlist-match.ts';
import type { DecideOutcome } from '../../respond/action.ts';
import type { Deps } from '../core/context.ts';
import { loadAllowlist } from './allowlist.ts';
import { checkDecisionGuard, checkDecisionInput, newDecisionRow, type DecideInput } from './decide.ts';

export type DecideManyOutcome = Exclude<DecideOutcome, { status: 'refused' }> | { status: 'invalid'; error: AppError };

interface Plan {
  /** The live decision, when it has not expired. */
  live: Decision | null;
  insert: { row: NewDecision } | null;
  extend: { until: Date; reason: string } | null;
}

export async function decideManyInTx(
  q: Queryable,
  deps: Pick<Deps, 'config'>,
  inputs: readonly DecideInput[],
  now: Date,
): Promise<DecideManyOutcome[]> {
  const out: (DecideManyOutcome | null)[] = inputs.map(() => null);
  const checked = inputs.map((input, i) => {
    try {
      return checkDecisionInput(input);
    } catch (err) {
      out[i] = { status: 'invalid', error: err instanceof AppError ? err : new AppError('invalid', String(err)) };
      return null;
    }
  });
  const allowlist = await loadAllowlist(q, deps.config);
  checked.forEach((t, i) => {
    const entry = t?.cidr ? findAllowlisted(allowlist, t.cidr) : null;
    if (entry) out[i] = { status: 'allowlisted', entry };
    else if (t?.cidr) {
      try {
        checkDecisionGuard(deps.config, t.cidr); // max range, unspecified, own addresses
      } catch (err) {
        out[i] = { status: 'invalid', error: err as AppError };
      }
    }
  });

  // Repeat offenders: earlier succeeded runs per action and target, one query per action.
  const prior = new Map<string, number>();
  const since = new Date(now.getTime() - deps.config.bans.window);
  const byAction = new Map<string, Set<string>>();
  inputs.forEach((input, i) => {
    if (out[i] || !input.increment || input.until) return;
    let s = byAction.get(input.increment.action);
    if (!s) byAction.set(input.increment.action, (s = new Set()));
    s.add(input.increment.target);
  });
  for (const [action, targets] of byAction)
    for (const [target, n] of await countSucceededRunsMany(q, action, [...targets], since)) prior.set(`${action}|${target}`, n);

  const durations = inputs.map((input, i) => {
    if (out[i]) return null;
    let ms = input.until ? input.until.getTime() - now.getTime() : (input.durationMs ?? 0);
    let offence = 1;
    if (input.increment && !input.until) {
      const n = prior.get(`${input.increment.action}|${input.increment.target}`) ?? 0;
      ms = banDurationMs(ms, n, deps.config.bans);
      offence = n + 1;
    }
    ms = Math.min(ms, MAX_DURATION_MS);
    if (ms < MIN_DURATION_MS) {
      out[i] = { status: 'invalid', error: new AppError('invalid', 'a decision must last at least one second') };
      return null;
    }
    return { ms, offence };
  });

  const wanted = inputs.flatMap((input, i) => (out[i] ? [] : [{ scope: input.scope, value: checked[i]!.value, type: input.type }]));
  await lockDecisionChanges(q);
  const live = await findLiveDecisionsMany(q, wanted);
  const plans = new Map<string, Plan>();
  const expired: Decision[] = [];
  const keyOf: (string | null)[] = inputs.map(() => null);
  /** Per input: the planned status, resolved to decisions after the writes. */
  const status: ('created' | 'existing' | 'extended' | null)[] = inputs.map(() => null);
  inputs.forEach((input, i) => {
    if (out[i]) return;
    const t = checked[i]!;
    const { ms } = durations[i]!;
    const until = new Date(now.getTime() + ms);
    const key = decisionKey(input.scope, t.value, input.type);
    keyOf[i] = key;
    let plan = plans.get(key);
    if (!plan) {
      const l = live.get(key) ?? null;
      if (l && Date.parse(l.until) <= now.getTime()) expired.push(l);
      plans.set(key, (plan = { live: l && Date.parse(l.until) > now.getTime() ? l : null, insert: null, extend: null }));
    }
    const current = plan.insert?.row.until ?? plan.extend?.until ?? (plan.live ? new Date(plan.live.until) : null);
    if (current === null) {
      plan.insert = { row: newDecisionRow(input, t, now, until) };
      status[i] = 'created';
    } else if (current.getTime() >= until.getTime()) status[i] = 'existing';
    else {
      if (plan.insert) plan.insert.row.until = until;
      else plan.extend = { until, reason: input.reason };
      status[i] = 'extended';
    }
  });

  for (const e of expired) await endDecisions(q, [e.id], { at: new Date(e.until), by: 'expiry', reason: 'expired' });
  const final = new Map<string, Decision>();
  for (const [key, p] of plans) if (p.live) final.set(key, p.live);
  const inserts = [...plans.values()].flatMap((p) => (p.insert ? [p.insert.row] : []));
  for (const d of await insertDecisionsReturning(q, inserts)) final.set(decisionKey(d.scope, d.value, d.type), d);
  const extensions = [...plans.values()].flatMap((p) => (p.extend && p.live ? [{ id: p.live.id, ...p.extend }] : []));
  for (const d of await extendDecisions(q, extensions)) final.set(decisionKey(d.scope, d.value, d.type), d);

  return inputs.map((_, i) => {
    const o = out[i];
    if (o) return o;
    const d = final.get(keyOf[i]!)!;
    const st = status[i]!;
    const durationMs = st === 'existing' ? Date.parse(d.until) - now.getTime() : durations[i]!.ms;
    return { status: st, decision: d, durationMs, offence: durations[i]!.offence };
  });
}
