/**
 * GET /v1/decisions/stream for one bouncer (CrowdSec semantics):
 *   startup=true  new: every active decision; deleted: those that ended in the last hour
 *                 (so a restarted bouncer drops state it kept); the cursor moves to now.
 *   otherwise     new: announced since this bouncer's cursor and still active;
 *                 deleted: ended (lifted, expired, allowlisted) since its cursor.
 * A bouncer with no cursor yet gets the startup answer. Lists are `null` when empty.
 *
 * Consistency: decisions that are due are expired first, so an expiry shows
 * up like a deletion. The reads run in one REPEATABLE READ snapshot and are
 * bounded by the highest change sequence in it; sequence numbers are taken
 * in commit order (store/decision-repo.ts), so nothing committed later can
 * fall below the cursor handed out here.
 */
import { z } from 'zod';
import {
  activeForBouncer,
  announcedBetween,
  currentChangeSeq,
  endedBetween,
  endedSinceForBouncer,
  getBouncerCursor,
  peekStream,
  saveBouncerCursor,
} from '../../store/bouncer-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { expireDecisions } from './expire-decisions.ts';
import { boolParam, bouncerFilter, bouncerFilterFields, bouncerScopes, crowdSecList, type CrowdSecDecision } from './crowdsec-decision.ts';

const STARTUP_DELETED_WINDOW_MS = 3_600_000;

export const streamQuery = z.object({
  startup: boolParam.optional(),
  scopes: z
    .string()
    .max(200)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .optional(),
  ...bouncerFilterFields,
});

export interface StreamAnswer {
  new: CrowdSecDecision[] | null;
  deleted: CrowdSecDecision[] | null;
}

/** The bouncer's token id from its actor id (`token:<id>`). */
function tokenIdOf(actor: Actor): string {
  return actor.id.startsWith('token:') ? actor.id.slice('token:'.length) : actor.id;
}

const NOTHING: StreamAnswer = Object.freeze({ new: null, deleted: null });

export async function pullDecisionStream(deps: Deps, actor: Actor, rawQuery: unknown, userAgent?: string): Promise<StreamAnswer> {
  authorize(actor, 'bouncer:read');
  const qp = parseInput(streamQuery, rawQuery, 'query');
  const filter = bouncerFilter(qp, bouncerScopes(qp.scopes));
  const tokenId = tokenIdOf(actor);
  // The common case, an idle poll, costs one query and writes nothing.
  const peek = await peekStream(deps.db, tokenId, deps.clock());
  if (qp.startup !== true && !peek.due && peek.cursor !== null && peek.high <= peek.cursor) return NOTHING;
  if (peek.due) await expireDecisions(deps);
  const read = await deps.db.tx(async (q) => {
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const now = deps.clock();
    const high = await currentChangeSeq(q);
    const cursor = await getBouncerCursor(q, tokenId);
    if (qp.startup === true || cursor === null) {
      const fresh = await activeForBouncer(q, now, filter);
      const ended = await endedSinceForBouncer(q, new Date(now.getTime() - STARTUP_DELETED_WINDOW_MS), filter);
      return { now, high, fresh, ended };
    }
    const from = Math.min(cursor.last_seq, high);
    const fresh = await announcedBetween(q, from, high, now, filter);
    const ended = await endedBetween(q, from, high, filter);
    return { now, high, fresh, ended };
  });
  // Only a bouncer token has a cursor to keep (an admin trying the endpoint does not).
  if (actor.role === 'bouncer' && (peek.cursor === null || read.high > peek.cursor))
    await saveBouncerCursor(deps.db, tokenId, read.high, read.now, userAgent?.slice(0, 200) ?? null);
  return { new: crowdSecList(read.fresh, read.now), deleted: crowdSecList(read.ended, read.now) };
}
