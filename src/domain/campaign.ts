/**
 * Campaigns (README "Campaigns"): which incident a detection belongs to when
 * its rule groups keys. Pure: the service layer loads the open incidents and
 * their members, asks `placeDetection` for each detection of a batch in
 * firing order, and applies `growCampaign` to its in-memory view as it goes.
 *
 * Decision table for one detection (rule R, key K, time t):
 *
 *   K has an open incident of R (it opened it, or is a member)  → `existing` (dedup by key, unchanged)
 *   R does not group                                           → `own` (open or re-open K's own incident)
 *   an open incident of R grew at g with t - g <= window       → `join` the one that grew last (K becomes a member)
 *   otherwise                                                  → `own` (K opens a new campaign)
 *
 * "Grew" is the time of the last detection that opened the incident or added
 * a member to it (event time, like every rule window). A campaign whose last
 * growth is older than the window is closed to new members; its members
 * still dedup into it.
 */

/** An open incident of a rule that groups, as the planner sees it. */
export interface OpenCampaign {
  /** Incident id (or a placeholder for one this batch will open). */
  id: string;
  /** Event time (µs) of its last growth. */
  grewAtUs: number;
}

export type Placement = { kind: 'existing'; id: string } | { kind: 'join'; id: string } | { kind: 'own' };

/**
 * Where a detection goes. `openForKey` is the open incident of this rule the
 * key already belongs to (null if none); `campaigns` the rule's open
 * incidents; `windowUs` the rule's group window (undefined: no grouping).
 */
export function placeDetection(
  atUs: number,
  openForKey: string | null,
  campaigns: readonly OpenCampaign[],
  windowUs: number | undefined,
): Placement {
  if (openForKey !== null) return { kind: 'existing', id: openForKey };
  if (windowUs === undefined) return { kind: 'own' };
  let best: OpenCampaign | null = null;
  for (const c of campaigns) {
    if (atUs - c.grewAtUs > windowUs) continue;
    if (best === null || c.grewAtUs > best.grewAtUs || (c.grewAtUs === best.grewAtUs && c.id > best.id)) best = c;
  }
  return best ? { kind: 'join', id: best.id } : { kind: 'own' };
}

/** The campaign after a detection at `atUs` opened it or joined it (growth never moves back in time). */
export function growCampaign(c: OpenCampaign, atUs: number): OpenCampaign {
  return atUs > c.grewAtUs ? { id: c.id, grewAtUs: atUs } : c;
}

/** Incident title of a campaign: "Brute force from 312 addresses", "Credential stuffing on 12 accounts". */
export function campaignTitle(base: string, keyKind: string, members: number): string {
  const noun = keyKind === 'ip' ? 'address' : keyKind === 'user' ? 'account' : 'key';
  const plural = members === 1 ? noun : noun === 'address' ? 'addresses' : `${noun}s`;
  return `${base} ${keyKind === 'ip' ? 'from' : 'on'} ${members.toLocaleString('en-US')} ${plural}`;
}
