/**
 * Places one rule's detections of a batch into incidents (domain/campaign.ts
 * decides; this reads and writes): a key's open incident (dedup), an open
 * campaign of the rule (a new member), or its own new or re-opened incident
 * (openIncident). Member rows, counts and growth are written in one
 * transaction for the whole batch; the campaign's "+N addresses" timeline
 * entry follows on a timer (announce-campaign.ts).
 *
 * Idempotent: handling the same detections again finds every key already
 * placed (`appended`) and counts nothing twice (recordMembers).
 */
import type { DetectionJob } from '../../domain/event.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import { growCampaign, placeDetection, type OpenCampaign } from '../../domain/campaign.ts';
import { getIncident } from '../../store/incident-repo.ts';
import type { Incident } from '../../domain/incident.ts';
import {
  armTimerOnce,
  findOpenCampaigns,
  findOpenForKeys,
  growIncident,
  recordMembers,
  type MemberDetection,
} from '../../store/campaign-repo.ts';
import { appendTimelineMany } from '../../store/timeline-repo.ts';
import type { Deps } from '../core/context.ts';
import { openDetectedIncident, ruleActor } from './detected-incident.ts';
import { CAMPAIGN_ANNOUNCE_TIMER, ANNOUNCE_EVERY_MS } from './announce-campaign.ts';

export interface Placed {
  job: DetectionJob;
  incident: Incident;
  /**
   * created / reopened: the key opened it; joined: a new member; appended: the key was already in it;
   * replayed: this very detection was handled before (a retried batch): nothing to do.
   */
  outcome: 'created' | 'reopened' | 'appended' | 'joined' | 'replayed';
}

export async function placeDetections(deps: Deps, rule: RuleSpec, jobs: readonly DetectionJob[]): Promise<Placed[]> {
  const windowUs = rule.groupWindowUs;
  const keys = [...new Set(jobs.map((j) => j.d.key))];
  const openFor = await findOpenForKeys(deps.db, rule.incident_type, keys);
  let campaigns: OpenCampaign[] = [];
  if (windowUs !== undefined) {
    const earliestUs = Math.min(...jobs.map((j) => j.d.atUs));
    const since = new Date(Math.floor((earliestUs - windowUs) / 1000));
    campaigns = (await findOpenCampaigns(deps.db, rule.incident_type, rule.name, since)).map((c) => ({
      id: c.id,
      grewAtUs: c.grewAt.getTime() * 1000,
    }));
  }
  const incidents = new Map<string, Incident>();
  const incident = async (id: string): Promise<Incident> => {
    let inc = incidents.get(id);
    if (!inc) {
      inc = (await getIncident(deps.db, id))!;
      incidents.set(id, inc);
    }
    return inc;
  };

  const placed: Placed[] = [];
  const members: MemberDetection[] = [];
  /** Openers per incident: their detection is already counted by openIncident. */
  const openers = new Map<string, number>();
  for (const job of jobs) {
    const { d } = job;
    const at = new Date(Math.floor(d.atUs / 1000));
    const p = placeDetection(d.atUs, openFor.get(d.key) ?? null, campaigns, windowUs);
    if (p.kind !== 'own') {
      placed.push({ job, incident: await incident(p.id), outcome: p.kind === 'join' ? 'joined' : 'appended' });
      if (windowUs !== undefined) members.push({ incidentId: p.id, key: d.key, at });
      if (p.kind === 'join') {
        openFor.set(d.key, p.id);
        campaigns = campaigns.map((c) => (c.id === p.id ? growCampaign(c, d.atUs) : c));
      }
      continue;
    }
    const r = await openDetectedIncident(deps, d, rule);
    incidents.set(r.incident.id, r.incident);
    openFor.set(d.key, r.incident.id);
    placed.push({ job, incident: r.incident, outcome: r.outcome });
    if (windowUs !== undefined) {
      members.push({ incidentId: r.incident.id, key: d.key, at });
      if (r.outcome !== 'appended') {
        openers.set(r.incident.id, (openers.get(r.incident.id) ?? 0) + 1);
        campaigns = [...campaigns.filter((c) => c.id !== r.incident.id), { id: r.incident.id, grewAtUs: d.atUs }];
      }
    }
  }
  if (members.length === 0) return placed;
  const seenBefore = await recordGrowth(deps, rule, members, openers, placed);
  return placed.map((p) =>
    p.outcome === 'appended' && seenBefore.has(`${p.incident.id}|${p.job.d.key}`) ? { ...p, outcome: 'replayed' as const } : p,
  );
}

async function recordGrowth(
  deps: Deps,
  rule: RuleSpec,
  members: readonly MemberDetection[],
  openers: ReadonlyMap<string, number>,
  placed: readonly Placed[],
): Promise<Set<string>> {
  const joinedAt = new Map<string, Date>();
  for (const p of placed)
    if (p.outcome !== 'appended') {
      const at = new Date(Math.floor(p.job.d.atUs / 1000));
      const prev = joinedAt.get(p.incident.id);
      if (!prev || at > prev) joinedAt.set(p.incident.id, at);
    }
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const { byIncident, seenBefore } = await recordMembers(q, members);
    const repeats = [];
    for (const [id, g] of byIncident) {
      const counted = Math.max(0, g.counted - g.added); // detections of keys already in the incident
      const opened = openers.get(id) ?? 0;
      await growIncident(q, id, { added: g.added, counted: g.added - opened + counted, grewAt: joinedAt.get(id) ?? null, now });
      if (g.added > 0) await armTimerOnce(q, CAMPAIGN_ANNOUNCE_TIMER, id, new Date(now.getTime() + ANNOUNCE_EVERY_MS), now);
      if (counted > 0)
        repeats.push({
          incidentId: id,
          at: now,
          kind: 'signal',
          actor: ruleActor(rule).name,
          message: `Same problem seen again: ${counted} more detection(s) of ${rule.name} for keys already in this incident`,
          data: { source: `rule:${rule.name}`, detections: counted },
        });
    }
    await appendTimelineMany(q, repeats);
    return seenBefore;
  });
}
