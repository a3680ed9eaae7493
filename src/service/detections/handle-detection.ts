/**
 * A rule fired: open the incident of its type for the detection's key, or
 * append to the open one (dedup). The detection is the timeline evidence.
 */
import type { Detection } from '../../domain/event.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import type { Deps } from '../core/context.ts';
import type { OpenIncidentResult } from '../incidents/open-incident.ts';
import { usToIso } from '../../store/event-repo.ts';
import type { RespondDeps } from '../response/respond-deps.ts';
import { runIncidentActions } from '../response/run-incident-actions.ts';
import type { ActionRunRequest } from '../response/run-action.ts';
import { openDetectedIncident, ruleActor } from './detected-incident.ts';
import { handleGrouped } from './handle-grouped.ts';

export { describeDetection, ruleActor } from './detected-incident.ts';

/**
 * Opens (or appends to) the incident, then, when the incident is new or
 * re-opened, runs the rule's immediate actions (a ban, an account lock, ...).
 * When the rule fires again on an incident still open (the attack goes on
 * after the cooldown), the actions whose effect ends by itself (bans, rate
 * limits: `Action.renews`) run again, once per firing: a lapsed ban comes
 * back, longer for a repeat offender, and a live one is extended.
 * Local actions finish before this returns (a ban is on the bouncer stream
 * by then); actions that call other systems run in the background with
 * durable retries. A failure to act is logged and leaves the incident open.
 */
export async function handleDetection(deps: Deps | RespondDeps, d: Detection, rule: RuleSpec): Promise<OpenIncidentResult> {
  if (rule.groupWindowUs !== undefined) {
    // Rules that group take the batched path (campaigns), here with a batch of one.
    const g = await handleGrouped(deps, [{ d, rule }]);
    await g.behind(); // callers of this single path expect everything written
    const p = g.placed[0];
    return { incident: p!.incident, outcome: p!.outcome === 'joined' || p!.outcome === 'replayed' ? 'appended' : p!.outcome };
  }
  const result = await openDetectedIncident(deps, d, rule);
  if (!('response' in deps) || rule.actions.length === 0) return result;
  const actions = result.outcome === 'appended' ? renewals(deps, d, rule) : rule.actions;
  if (actions.length === 0) return result;
  try {
    await runIncidentActions(deps, ruleActor(rule), result.incident, actions, { invalid: 'skip', awaitRemote: false });
  } catch (err) {
    deps.logger.error({ err, rule: rule.name, incident: result.incident.id }, 'running the rule actions failed');
  }
  return result;
}

/**
 * The rule's renewing actions for a new firing on an open incident, each as
 * its own step named after the firing (`block_ip@<time>`): a distinct action
 * id per firing, the same one when the same detection is handled twice.
 */
function renewals(deps: RespondDeps, d: Detection, rule: RuleSpec): ActionRunRequest[] {
  const at = usToIso(d.atUs);
  return rule.actions.filter((a) => deps.response.actions.get(a.action)?.renews).map((a) => ({ ...a, step: `${a.action}@${at}` }));
}
