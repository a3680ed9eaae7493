/**
 * Lifts every active decision matching a filter (DELETE /api/v1/decisions?ip=…,
 * like `cscli decisions delete --ip`). At least one of ip, value or
 * incident_id is required, so an empty filter never lifts everything.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { endDecisions, listDecisions as repoList, lockDecisionChanges } from '../../store/decision-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { decisionFilterFields, decisionView, resolveTargetFilter, type DecisionView } from './query-decisions.ts';
import { recordLift } from './delete-decision.ts';

export const deleteDecisionsQuery = z.object(decisionFilterFields).strict();

/** At most this many per call; the answer says when more remain. */
const MAX_PER_CALL = 10_000;

export async function deleteDecisions(
  deps: Deps,
  actor: Actor,
  rawQuery: unknown,
): Promise<{ deleted: number; items: DecisionView[]; more: boolean }> {
  authorize(actor, 'decisions:write');
  const f = parseInput(deleteDecisionsQuery, rawQuery, 'query');
  if (f.ip === undefined && f.value === undefined && f.incident_id === undefined) {
    throw new AppError('invalid', 'give ip, value or incident_id: lifting every decision at once is not done by accident', {
      details: [{ path: 'value', message: 'required (or ip, or incident_id)' }],
    });
  }
  const target = resolveTargetFilter(f);
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    await lockDecisionChanges(q);
    const live = await repoList(q, {
      ...target,
      type: f.type,
      incident_id: f.incident_id,
      origin: f.origin,
      state: 'active',
      now,
      limit: MAX_PER_CALL + 1,
    });
    const ended = await endDecisions(
      q,
      live.slice(0, MAX_PER_CALL).map((d) => d.id),
      { at: now, by: actor.name, reason: 'deleted' },
    );
    for (const d of ended) await recordLift(q, actor, d, now);
    return { deleted: ended.length, items: ended.map((d) => decisionView(d, now)), more: live.length > MAX_PER_CALL };
  });
}
