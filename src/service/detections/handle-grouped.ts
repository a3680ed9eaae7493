/**
 * Steps 1–3 of handle-detections.ts for the detections of rules that group
 * (campaigns): placement, the batch's bans in one transaction, the
 * campaigns' range bans; behind them, remote actions in the background.
 */
import type { DetectionJob } from '../../domain/event.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import type { Incident } from '../../domain/incident.ts';
import type { Deps } from '../core/context.ts';
import type { RespondDeps } from '../response/respond-deps.ts';
import { runIncidentActions } from '../response/run-incident-actions.ts';
import { decideLocalActions, type LocalActionItem } from '../response/run-local-actions.ts';
import type { ActionRunRequest } from '../response/run-action.ts';
import { placeDetections, type Placed } from './place-detections.ts';
import { plannedActions } from './member-actions.ts';
import { rangeBans } from './ban-ranges.ts';
import { ruleActor } from './detected-incident.ts';

/**
 * Steps 1–3 for detections of rules that group; returns where each went and
 * what is left `behind`: the bans' run records, timeline and audit, then the
 * start of the remote actions.
 */
export async function handleGrouped(
  deps: Deps | RespondDeps,
  jobs: readonly DetectionJob[],
): Promise<{ placed: Placed[]; behind: () => Promise<void> }> {
  const byRule = new Map<string, DetectionJob[]>();
  for (const j of jobs) {
    let l = byRule.get(j.rule.name);
    if (!l) byRule.set(j.rule.name, (l = []));
    l.push(j);
  }
  const placed: Placed[] = [];
  for (const list of byRule.values()) placed.push(...(await placeDetections(deps, list[0]!.rule, list)));
  if (!('response' in deps)) return { placed, behind: async () => {} };

  const local = new Map<string, { rule: RuleSpec; items: LocalActionItem[] }>();
  const remote: { rule: RuleSpec; view: Incident; reqs: ActionRunRequest[] }[] = [];
  for (const p of placed) {
    const plan = plannedActions(deps, p);
    let e = local.get(p.job.rule.name);
    if (!e) local.set(p.job.rule.name, (e = { rule: p.job.rule, items: [] }));
    for (const req of plan.local) e.items.push({ incident: plan.view, req });
    if (plan.remote.length > 0) remote.push({ rule: p.job.rule, view: plan.view, reqs: plan.remote });
  }
  // One transaction for every rule's bans: the actor differs per rule, so one batch per rule (usually one rule).
  const banned = new Map<string, { incident: Incident; rule: RuleSpec; addresses: Set<string> }>();
  const records: (() => Promise<unknown>)[] = [];
  for (const { rule, items } of local.values()) {
    if (items.length === 0) continue;
    const r = await decideLocalActions(deps, ruleActor(rule), items);
    records.push(r.record);
    for (const bad of r.invalid)
      deps.logger.warn({ rule: rule.name, action: bad.item.req.action, reason: bad.reason }, 'rule action skipped');
    if (rule.groupWindowUs === undefined) continue;
    for (const run of r.decided) {
      if (run.action !== 'block_ip' || run.outcome !== 'succeeded' || !run.target.startsWith('ip:')) continue;
      let e = banned.get(run.incident_id);
      if (!e) {
        const inc = items.find((i) => i.incident.id === run.incident_id)!.incident;
        banned.set(run.incident_id, (e = { incident: inc, rule, addresses: new Set() }));
      }
      e.addresses.add(run.target.slice(3));
    }
  }
  const ranges = await rangeBans(deps, banned);
  if (ranges.length > 0) {
    const byActor = new Map<string, { rule: RuleSpec; items: LocalActionItem[] }>();
    for (const item of ranges) {
      const rule = [...banned.values()].find((b) => b.incident.id === item.incident.id)!.rule;
      let e = byActor.get(rule.name);
      if (!e) byActor.set(rule.name, (e = { rule, items: [] }));
      e.items.push(item);
    }
    for (const { rule, items } of byActor.values()) {
      const r = await decideLocalActions(deps, ruleActor(rule), items);
      records.push(r.record);
    }
  }
  return {
    placed,
    behind: async () => {
      for (const record of records) await record();
      // After the bans' bookkeeping: webhooks and notifications, with durable retries. Started once the
      // bans are on the timeline, so an incident's timeline reads in the order things happened.
      for (const { rule, view, reqs } of remote)
        deps.response.background(`rule ${rule.name} actions for ${view.dedup_key ?? view.id}`, () =>
          runIncidentActions(deps, ruleActor(rule), view, reqs, { invalid: 'skip', awaitRemote: false }),
        );
    },
  };
}
