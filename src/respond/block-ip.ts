/**
 * block_ip: ban an address (or a range) for a while. Repeat offenders get
 * longer bans (config `bans`). An allowlisted target is never banned: the
 * run ends `allowlisted` and the timeline says so.
 */
import { z } from 'zod';
import { formatDuration } from '../domain/duration.ts';
import { defaultReason, defineAction, keyPart, type ActionTarget } from './action.ts';
import { describeAllowEntry } from './allowlist-match.ts';
import { ordinal } from './ban-duration.ts';
import { canonicalTarget, targetKey } from './decision-target.ts';
import { durationFields, reasonField, resolveDuration } from './params.ts';

export const DEFAULT_BAN_MS = 3_600_000;

const params = z
  .object({ ...durationFields, ip: z.string().optional(), reason: reasonField, increment: z.boolean().optional() })
  .strict()
  .transform(resolveDuration);

/** Target of an address action: `params.ip` (address or CIDR) or the incident's `ip:` key. */
export function ipTarget(ip: string | undefined, incident: Parameters<typeof keyPart>[0], action: string): ActionTarget | string {
  const raw = ip ?? keyPart(incident, 'ip');
  if (raw === null) return `${action} needs an address: the incident key is ${incident.dedup_key ?? 'empty'}; give params.ip`;
  const scope = raw.includes('/') ? 'range' : 'ip';
  const c = canonicalTarget(scope, raw);
  if (!c.ok) return `${action}: ${c.message}`;
  return { kind: scope, value: c.value, key: targetKey(scope, c.value) };
}

export const blockIp = defineAction({
  name: 'block_ip',
  remote: false,
  renews: true,
  params,
  target: (p, incident) => ipTarget(p.ip, incident, 'block_ip'),
  describe: (p, t) =>
    `ban ${t.value} for ${formatDuration(p.duration_ms ?? DEFAULT_BAN_MS)}${p.increment === false ? '' : ' (longer for repeat offenders)'}`,
  async execute(inv, fx) {
    const t = inv.target;
    const r = await fx.decide({
      scope: t.kind === 'range' ? 'range' : 'ip',
      value: t.value!,
      type: 'ban',
      durationMs: inv.params.duration_ms ?? DEFAULT_BAN_MS,
      increment: inv.params.increment !== false,
      reason: inv.params.reason ?? defaultReason(inv.incident),
    });
    if (r.status === 'refused') return { outcome: 'skipped', message: r.message };
    if (r.status === 'allowlisted') {
      return {
        outcome: 'allowlisted',
        message: `not banned: ${t.value} is on the allowlist (${describeAllowEntry(r.entry)})`,
        data: { allowlist_entry: r.entry.id, allowlist_cidr: r.entry.cidr },
      };
    }
    const d = r.decision;
    const what = r.status === 'existing' ? 'already banned' : r.status === 'extended' ? 'ban extended' : 'banned';
    return {
      outcome: 'succeeded',
      message: `${what}: ${t.value} until ${d.until} (${formatDuration(r.durationMs)}${r.offence > 1 ? `, ${ordinal(r.offence)} offence` : ''})`,
      data: { decision_id: d.id, until: d.until, duration_ms: r.durationMs, offence: r.offence, decision: r.status },
    };
  },
});
