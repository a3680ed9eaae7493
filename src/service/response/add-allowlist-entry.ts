/**
 * POST /api/v1/allowlist {cidr, note?}: adds an address or range (canonical
 * CIDR; IPv4-mapped IPv6 is stored as IPv4). Active ip/range decisions that
 * overlap it are lifted in the same transaction (bouncers see them under
 * `deleted`): an allowlisted address is never banned, also not by a ban made
 * before it was allowlisted.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { findAllowEntryByCidr, insertAllowEntry } from '../../store/allowlist-repo.ts';
import { endDecisions, findLiveOverlapping, lockDecisionChanges } from '../../store/decision-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { canonicalCidr } from '../../respond/decision-target.ts';
import { cidrsOverlap, fixedAllowlistIndex, type AllowEntry } from '../../respond/allowlist-match.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { decisionView, type DecisionView } from './query-decisions.ts';

export const addAllowEntryInput = z
  .object({
    cidr: z.string().trim().min(1, 'must not be empty').max(100),
    note: z.string().trim().max(500).optional(),
  })
  .strict();

export async function addAllowlistEntry(deps: Deps, actor: Actor, raw: unknown): Promise<AllowEntry & { lifted: DecisionView[] }> {
  authorize(actor, 'decisions:write');
  const input = parseInput(addAllowEntryInput, raw);
  const c = canonicalCidr(input.cidr);
  if (!c)
    throw new AppError('invalid', `invalid cidr: "${input.cidr}" is not an IP address or CIDR range`, {
      details: [{ path: 'cidr', message: 'must be an address or CIDR range, e.g. 198.51.100.7 or 198.51.100.0/24 or 2001:db8::/32' }],
    });
  const fixed = fixedAllowlistIndex(deps.config.allowlist).exact(c);
  if (fixed)
    throw new AppError(
      'conflict',
      `${c.text} is already allowlisted (${fixed.source === 'builtin' ? 'loopback, always' : 'in the configuration file'})`,
    );
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const entry = await insertAllowEntry(q, { cidr: c.text, note: input.note || null, at: now, by: actor.name });
    if (!entry) {
      const existing = await findAllowEntryByCidr(q, c.text);
      throw new AppError('conflict', `${c.text} is already on the allowlist (entry ${existing?.id ?? '?'})`);
    }
    await lockDecisionChanges(q);
    const overlapping = (await findLiveOverlapping(q, c.text)).filter((d) => {
      const dc = canonicalCidr(d.value);
      return dc !== null && cidrsOverlap(dc, c);
    });
    const lifted = await endDecisions(
      q,
      overlapping.map((d) => d.id),
      { at: now, by: actor.name, reason: 'allowlisted' },
    );
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'allowlist.add',
      target: `allowlist:${entry.id}`,
      ip: actor.ip,
      details: { cidr: entry.cidr, note: entry.note, lifted: lifted.map((d) => d.id) },
    });
    for (const d of lifted) {
      if (d.incident_id)
        await appendTimeline(q, {
          incidentId: d.incident_id,
          at: now,
          kind: 'decision',
          actor: actor.name,
          message: `${d.type} on ${d.value} lifted: ${entry.cidr} was added to the allowlist`,
          data: { decision_id: d.id, lifted: true, allowlist_entry: entry.id },
        });
    }
    return {
      id: entry.id,
      cidr: entry.cidr,
      note: entry.note,
      source: 'api' as const,
      created_at: entry.created_at,
      created_by: entry.created_by,
      lifted: lifted.map((d) => decisionView(d, now)),
    };
  });
}
