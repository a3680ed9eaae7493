/**
 * At start: lifts live ip/range decisions that overlap loopback or the
 * configuration file's allowlist (an entry added to the file after the ban
 * was made). Entries added through the API lift theirs when they are added.
 */
import { endDecisions, findLiveOverlapping, lockDecisionChanges } from '../../store/decision-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { configAllowEntries, LOOPBACK_ENTRIES } from '../../respond/allowlist-match.ts';
import type { Deps } from '../core/context.ts';

export async function liftAllowlistedDecisions(deps: Pick<Deps, 'db' | 'config' | 'clock'>): Promise<number> {
  const entries = [...LOOPBACK_ENTRIES, ...configAllowEntries(deps.config.allowlist)];
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    await lockDecisionChanges(q);
    let n = 0;
    for (const e of entries) {
      const hit = await findLiveOverlapping(q, e.cidr);
      if (hit.length === 0) continue;
      const ended = await endDecisions(
        q,
        hit.map((d) => d.id),
        { at: now, by: 'system', reason: 'allowlisted' },
      );
      await writeAudit(q, {
        at: now,
        actor: 'system',
        action: 'decision.lift_allowlisted',
        target: e.cidr,
        details: { decisions: ended.map((d) => d.id) },
      });
      n += ended.length;
    }
    return n;
  });
}
