/**
 * Range decisions of campaigns (domain/range.ts): after a batch banned
 * addresses of a campaign, the /24s and /64s it touched are counted over the
 * campaign's live bans, and each one at its family's minimum becomes a
 * `block_ip` run on the CIDR (step `block_range`, a `range` decision). The
 * run goes through the same decision checks as every ban, so a range that
 * touches the allowlist is never created (the run records `allowlisted`).
 * One run per campaign and range (its action id), however often it is seen.
 */
import { aggregateRanges, rangeOf } from '../../domain/range.ts';
import { liveAddressesIn } from '../../store/decision-repo.ts';
import type { Incident } from '../../domain/incident.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import type { RespondDeps } from '../response/respond-deps.ts';
import type { LocalActionItem } from '../response/run-local-actions.ts';

export const RANGE_STEP = 'block_range';

/** `banned`: per campaign incident, the addresses this batch banned for it. */
export async function rangeBans(
  deps: RespondDeps,
  banned: ReadonlyMap<string, { incident: Incident; rule: RuleSpec; addresses: Set<string> }>,
): Promise<LocalActionItem[]> {
  const items: LocalActionItem[] = [];
  const t = { ipv4Min: deps.config.ranges.ipv4_min, ipv6Min: deps.config.ranges.ipv6_min };
  for (const { incident, rule, addresses } of banned.values()) {
    const touched = [...new Set([...addresses].map(rangeOf).filter((r): r is string => r !== null))];
    if (touched.length === 0) continue;
    const all = await liveAddressesIn(deps.db, incident.id, 'ban', touched);
    for (const { cidr, count } of aggregateRanges(all, t)) {
      items.push({
        incident,
        req: {
          action: 'block_ip',
          step: RANGE_STEP,
          params: {
            ip: cidr,
            duration_ms: rule.banMs ?? 3_600_000,
            increment: false,
            reason: `${incident.type} (incident #${incident.id}): ${count} addresses of this campaign in ${cidr}`,
          },
        },
      });
    }
  }
  return items;
}
