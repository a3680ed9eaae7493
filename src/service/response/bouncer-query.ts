/**
 * GET /v1/decisions (CrowdSec semantics): the active ip/range decisions for
 * a target, `null` when there are none.
 *   ip=A            decisions on A and every range containing A
 *   range=R         decisions whose range contains R (contains=false: inside R)
 *   scope=&value=   exact scope and value (only Ip and Range are served to bouncers)
 *   none            every active ip/range decision
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { coveringForBouncer, exactForBouncer } from '../../store/bouncer-repo.ts';
import { canonicalAddress, canonicalCidr, canonicalTarget } from '../../respond/decision-target.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { boolParam, bouncerFilter, bouncerFilterFields, crowdSecList, type CrowdSecDecision } from './crowdsec-decision.ts';

export const bouncerQuery = z.object({
  ip: z.string().max(100).optional(),
  range: z.string().max(100).optional(),
  scope: z.string().max(50).optional(),
  value: z.string().max(300).optional(),
  contains: boolParam.default(true),
  ...bouncerFilterFields,
});

const invalid = (path: string, message: string) => new AppError('invalid', `invalid ${path}: ${message}`, { details: [{ path, message }] });

export async function queryBouncerDecisions(deps: Deps, actor: Actor, rawQuery: unknown): Promise<CrowdSecDecision[] | null> {
  authorize(actor, 'bouncer:read');
  const qp = parseInput(bouncerQuery, rawQuery, 'query');
  const now = deps.clock();
  if (qp.ip !== undefined) {
    const ip = canonicalAddress(qp.ip);
    if (ip === null) throw invalid('ip', `"${qp.ip}" is not an IP address`);
    return crowdSecList(await coveringForBouncer(deps.db, ip, true, now, bouncerFilter(qp, ['ip', 'range'])), now);
  }
  if (qp.range !== undefined) {
    const c = canonicalCidr(qp.range);
    if (c === null) throw invalid('range', `"${qp.range}" is not a CIDR range`);
    return crowdSecList(await coveringForBouncer(deps.db, c.text, qp.contains, now, bouncerFilter(qp, ['ip', 'range'])), now);
  }
  let scopes: ('ip' | 'range')[] = ['ip', 'range'];
  let value: string | undefined = qp.value;
  if (qp.scope !== undefined) {
    const s = qp.scope.toLowerCase();
    if (s !== 'ip' && s !== 'range') return null; // other scopes are not a bouncer's business
    scopes = [s];
    if (value !== undefined) {
      const t = canonicalTarget(s, value);
      if (!t.ok) throw invalid('value', t.message);
      value = t.value;
    }
  }
  return crowdSecList(await exactForBouncer(deps.db, value, now, bouncerFilter(qp, scopes)), now);
}
