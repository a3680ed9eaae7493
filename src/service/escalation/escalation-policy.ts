/**
 * Which escalation policy an incident gets, and the built-in one.
 *
 * An incident gets the configured policy its `attrs.escalation_policy` names
 * (runbooks will set it), else `escalation_policies.default`, else the
 * built-in policy: the seed runbook's four levels, filled with whatever exists
 *
 *   1 automated      every webhook channel          (else the log channel)
 *   2 on-call        every schedule                 (else the log channel)
 *   3 security-team  every person, else every Slack channel (else the log channel)
 *   4 external       every email channel            (else the log channel)
 *
 * with every level waiting the incident's severity deadline. The policy is
 * frozen onto the incident when its escalation starts.
 */
import type { Config } from '../../config.ts';
import type { PolicyConfig } from '../../domain/escalation.ts';

export interface NamedPolicy extends PolicyConfig {
  source: 'config' | 'built-in';
}

/** The name of the log channel used as the fallback: the first configured `log` channel, else `log` (or `firebreak-log` when `log` is taken). */
export function fallbackLogChannelName(channels: Config['channels']): string {
  const log = channels.find((c) => c.type === 'log');
  if (log) return log.name;
  return channels.some((c) => c.name === 'log') ? 'firebreak-log' : 'log';
}

export function builtInPolicy(config: Pick<Config, 'channels' | 'people' | 'schedules'>, logChannel: string): PolicyConfig {
  const or = (targets: string[]): string[] => (targets.length > 0 ? targets : [`channel:${logChannel}`]);
  const ofType = (type: string) => config.channels.filter((c) => c.type === type).map((c) => `channel:${c.name}`);
  const people = config.people.map((p) => `person:${p.id}`);
  return {
    name: 'built-in',
    levels: [
      { name: 'automated', notify: or(ofType('webhook')) },
      { name: 'on-call', notify: or(config.schedules.map((s) => `schedule:${s.name}`)) },
      { name: 'security-team', notify: or(people.length > 0 ? people : [...ofType('slack'), ...ofType('teams')]) },
      { name: 'external', notify: or(ofType('email')) },
    ],
    repeat: 0,
  };
}

/** Every policy an incident can get: the configured ones, and the built-in one when no `default` is configured. */
export function listPolicies(config: Config, logChannel: string): NamedPolicy[] {
  const out: NamedPolicy[] = Object.entries(config.escalation_policies).map(([name, p]) => ({ ...p, name, source: 'config' as const }));
  if (!config.escalation_policies.default) out.push({ ...builtInPolicy(config, logChannel), source: 'built-in' });
  return out;
}

export function policyFor(config: Config, attrs: Record<string, unknown>, logChannel: string): PolicyConfig {
  const named = typeof attrs.escalation_policy === 'string' ? attrs.escalation_policy : undefined;
  const pick =
    (named && config.escalation_policies[named] ? named : undefined) ?? (config.escalation_policies.default ? 'default' : undefined);
  if (pick) return { ...config.escalation_policies[pick]!, name: pick };
  return builtInPolicy(config, logChannel);
}
