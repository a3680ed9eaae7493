/**
 * Ends decisions whose time is up, so bouncers get them under `deleted` (an
 * expiry and a lift look the same on the stream). Run before every stream
 * pull; cheap when nothing is due (one index probe, no lock).
 */
import { expireDueDecisions, hasDueDecisions, lockDecisionChanges } from '../../store/decision-repo.ts';
import type { Deps } from '../core/context.ts';

export async function expireDecisions(deps: Pick<Deps, 'db' | 'clock'>): Promise<number> {
  const now = deps.clock();
  if (!(await hasDueDecisions(deps.db, now))) return 0;
  return deps.db.tx(async (q) => {
    await lockDecisionChanges(q);
    return expireDueDecisions(q, now);
  });
}
