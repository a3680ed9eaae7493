/**
 * At start: lifts live ip/range decisions that overlap loopback or the
 * configuration file's allowlist (an entry added to the file after the ban
 * was made). Entries added through the API lift theirs when they are added.
 *
 * The live decisions are read once and each is looked up in the allowlist's
 * index (O(prefix length)), so start-up costs one query however long the
 * file's list is (it used to be one query per entry: 274,413 entries took
 * 92 s). One audit record per allowlist entry that lifted something, as before.
 */
import { endDecisions, listLiveNetDecisions, lockDecisionChanges } from '../../store/decision-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { fixedAllowlistIndex, type AllowEntry } from '../../respond/allowlist-match.ts';
import { canonicalCidr } from '../../respond/decision-target.ts';
import type { Deps } from '../core/context.ts';

export async function liftAllowlistedDecisions(deps: Pick<Deps, 'db' | 'config' | 'clock'>): Promise<number> {
  const index = fixedAllowlistIndex(deps.config.allowlist);
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    await lockDecisionChanges(q);
    const byEntry = new Map<AllowEntry, string[]>();
    for (const d of await listLiveNetDecisions(q)) {
      const c = canonicalCidr(d.value);
      const e = c && index.find(c);
      if (!e) continue;
      const ids = byEntry.get(e);
      if (ids) ids.push(d.id);
      else byEntry.set(e, [d.id]);
    }
    let n = 0;
    for (const [e, ids] of byEntry) {
      const ended = await endDecisions(q, ids, { at: now, by: 'system', reason: 'allowlisted' });
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
