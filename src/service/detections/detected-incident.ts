/**
 * The incident a detection opens: its title, description, evidence and the
 * rule's actor. Shared by the single and the batched detection paths.
 */
import type { Detection } from '../../domain/event.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { Actor, Deps } from '../core/context.ts';
import { openIncident, type OpenIncidentResult } from '../incidents/open-incident.ts';
import { usToIso } from '../../store/event-repo.ts';

export const TITLES: Record<string, string> = {
  brute_force_attempt: 'Brute force',
  account_compromise: 'Possible account compromise',
  credential_stuffing: 'Credential stuffing',
  ddos: 'Request flood',
  high_error_rate: 'High error rate',
  performance_degradation: 'Performance degradation',
  database_connection_failure: 'Database connection failures',
  data_corruption: 'Data integrity errors',
};

/** The title's first words for an incident type ("Brute force"). */
export function titleBase(incidentType: string): string {
  return TITLES[incidentType] ?? incidentType.replace(/_/g, ' ');
}

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

export function openDetectedIncident(deps: Deps, d: Detection, rule: RuleSpec): Promise<OpenIncidentResult> {
  const subject = d.key === 'global' ? '' : ` ${d.key.startsWith('ip:') ? 'from' : 'on'} ${d.key.replace(/^(ip|user|route):/, '')}`;
  const at = usToIso(d.atUs);
  return openIncident(
    deps,
    ruleActor(rule),
    {
      type: rule.incident_type,
      severity: rule.severity,
      title: `${titleBase(rule.incident_type)}${subject}`.slice(0, 300),
      description: `${rule.description}\nDetected at ${at}: ${describeDetection(d, rule)}.`,
      dedup_key: d.key,
    },
    {
      source: `rule:${rule.name}`,
      detectedAt: new Date(Math.floor(d.atUs / 1000)),
      evidence: {
        rule: d.rule,
        key: d.key,
        at,
        value: d.value,
        threshold: rule.threshold,
        window: formatDuration(rule.windowUs / 1000),
        ...(d.contributors ? { contributors: d.contributors.slice(0, 100) } : {}),
      },
      attrs: { rule: rule.name, key: d.key },
    },
  );
}
