/**
 * rate_limit: put an address (or everyone: `scope: global`) under a rate
 * limit for a while. The Node middleware answers 429 with Retry-After beyond
 * its per-client budget; bouncers see the decision as type `rate_limit`.
 */
import { z } from 'zod';
import { formatDuration } from '../domain/duration.ts';
import { defaultReason, defineAction } from './action.ts';
import { describeAllowEntry } from './allowlist-match.ts';
import { ipTarget } from './block-ip.ts';
import { durationFields, reasonField, resolveDuration } from './params.ts';

export const DEFAULT_RATE_LIMIT_MS = 600_000;

const params = z
  .object({ ...durationFields, scope: z.enum(['ip', 'global']).default('ip'), ip: z.string().optional(), reason: reasonField })
  .strict()
  .transform(resolveDuration);

export const rateLimit = defineAction({
  name: 'rate_limit',
  remote: false,
  renews: true,
  params,
  target: (p, incident) => (p.scope === 'global' ? { kind: 'global', value: null, key: 'global' } : ipTarget(p.ip, incident, 'rate_limit')),
  describe: (p, t) =>
    `rate-limit ${t.kind === 'global' ? 'every client' : t.value} for ${formatDuration(p.duration_ms ?? DEFAULT_RATE_LIMIT_MS)}`,
  async execute(inv, fx) {
    const t = inv.target;
    const r = await fx.decide({
      scope: t.kind === 'global' ? 'global' : t.kind === 'range' ? 'range' : 'ip',
      value: t.value ?? '*',
      type: 'rate_limit',
      durationMs: inv.params.duration_ms ?? DEFAULT_RATE_LIMIT_MS,
      reason: inv.params.reason ?? defaultReason(inv.incident),
    });
    if (r.status === 'refused') return { outcome: 'skipped', message: r.message };
    if (r.status === 'allowlisted') {
      return {
        outcome: 'allowlisted',
        message: `not rate-limited: ${t.value} is on the allowlist (${describeAllowEntry(r.entry)})`,
        data: { allowlist_entry: r.entry.id, allowlist_cidr: r.entry.cidr },
      };
    }
    const who = t.kind === 'global' ? 'every client' : t.value;
    return {
      outcome: 'succeeded',
      message: `rate-limited ${who} until ${r.decision.until} (${formatDuration(r.durationMs)})`,
      data: { decision_id: r.decision.id, until: r.decision.until, duration_ms: r.durationMs, decision: r.status },
    };
  },
});
