/**
 * The campaign's batched timeline entry ("+312 addresses"), at most one per
 * ANNOUNCE_EVERY_MS per incident: placing members arms a durable timer
 * (never pushed back by later members, so a storm still gets its entries),
 * and this handler writes what joined since the last entry and renames the
 * incident ("Brute force from 1,312 addresses").
 */
import type { Queryable } from '../../store/db.ts';
import type { Timer } from '../../store/timer-repo.ts';
import { getIncident, updateIncident } from '../../store/incident-repo.ts';
import { takeUnannounced } from '../../store/campaign-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { campaignTitle } from '../../domain/campaign.ts';
import { titleBase } from './detected-incident.ts';

export const CAMPAIGN_ANNOUNCE_TIMER = 'campaign_announce';
export const ANNOUNCE_EVERY_MS = 5_000;

export async function announceCampaign(q: Queryable, t: Timer, now: Date): Promise<void> {
  const before = await takeUnannounced(q, t.ref);
  if (!before || before.members <= before.announced) return;
  const inc = (await getIncident(q, t.ref))!;
  const keyKind = (inc.dedup_key ?? '').split(':')[0] ?? '';
  const added = before.members - Math.max(1, before.announced);
  const noun = keyKind === 'ip' ? 'address' : keyKind === 'user' ? 'account' : 'key';
  const title = campaignTitle(titleBase(inc.type), keyKind, before.members);
  if (added > 0) {
    await appendTimeline(q, {
      incidentId: inc.id,
      at: now,
      kind: 'members',
      actor: String(inc.attrs.rule ? `rule:${String(inc.attrs.rule)}` : 'system'),
      message: `+${added.toLocaleString('en-US')} ${added === 1 ? noun : noun === 'address' ? 'addresses' : `${noun}s`} joined this campaign (${before.members.toLocaleString('en-US')} in all)`,
      data: { added, members: before.members },
    });
  }
  if (before.members > 1 && inc.title !== title) await updateIncident(q, inc.id, { title, updated_at: now });
}
