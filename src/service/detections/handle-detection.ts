/**
 * A rule fired: open the incident of its type for the detection's key, or
 * append to the open one (dedup). The detection is the timeline evidence.
 */
import type { Detection } from '../../domain/event.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { Actor, Deps } from '../core/context.ts';
import { openIncident, type OpenIncidentResult } from '../incidents/open-incident.ts';
import { usToIso } from '../../store/event-repo.ts';
import type { RespondDeps } from '../response/respond-deps.ts';
import { runIncidentActions } from '../response/run-incident-actions.ts';
import type { ActionRunRequest } from '../response/run-action.ts';

const TITLES: Record<string, string> = {
  brute_force_attempt: 'Brute force',
  account_compromise: 'Possible account compromise',
  ddos: 'Request flood',
  high_error_rate: 'High error rate',
  performance_degradation: 'Performance degradation',
  database_connection_failure: 'Database connection failures',
  data_corruption: 'Data integrity errors',
  scanner: 'Path probing (scanner)',
};

export function ruleActor(rule: RuleSpec): Actor {
  return { id: `rule:${rule.name}`, name: `rule:${rule.name}`, role: 'system' };
}

export function describeDetection(d: Detection, rule: RuleSpec): string {
  const what =
    rule.value.kind === 'count'
      ? `${d.value} events`
      : rule.value.kind === 'distinct'
        ? `${d.value} distinct ${rule.value.field} values`
        : `p${rule.value.p} ${rule.value.field} ${d.value}`;
  return `${what} in ${formatDuration(rule.windowUs / 1000)} (threshold ${rule.op === 'gt' ? '>' : '≥'} ${rule.threshold})`;
}

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

function openDetectedIncident(deps: Deps, d: Detection, rule: RuleSpec): Promise<OpenIncidentResult> {
  const base = TITLES[rule.incident_type] ?? rule.incident_type.replace(/_/g, ' ');
  const subject = d.key === 'global' ? '' : ` ${d.key.startsWith('ip:') ? 'from' : 'on'} ${d.key.replace(/^(ip|user|route):/, '')}`;
  const at = usToIso(d.atUs);
  return openIncident(
    deps,
    ruleActor(rule),
    {
      type: rule.incident_type,
      severity: rule.severity,
      title: `${base}${subject}`,
      description: `${rule.description}\nDetected at ${at}: ${describeDetection(d, rule)}.`,
      dedup_key: d.key,
    },
    {
      source: `rule:${rule.name}`,
      detectedAt: new Date(Math.floor(d.atUs / 1000)),
      evidence: { rule: d.rule, key: d.key, at, value: d.value, threshold: rule.threshold, window: formatDuration(rule.windowUs / 1000) },
      attrs: { rule: rule.name, key: d.key },
    },
  );
}
