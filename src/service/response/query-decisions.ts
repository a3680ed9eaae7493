/** Read side of decisions: list with filters and cursor, one by id. */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getDecision as repoGet, listDecisions as repoList, type Decision, type DecisionFilter } from '../../store/decision-repo.ts';
import { canonicalTarget, DECISION_SCOPES, DECISION_TYPES, type DecisionScopeName } from '../../respond/decision-target.ts';
import type { Actor, Deps } from '../core/context.ts';
import type { Page } from '../incidents/query-incidents.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';

/** A decision as the API shows it (no change sequence numbers; `active` computed at read time). */
export interface DecisionView extends Omit<Decision, 'new_seq' | 'del_seq'> {
  active: boolean;
}

export function decisionView(d: Decision, now: Date): DecisionView {
  const { new_seq: _n, del_seq: _d, ...rest } = d;
  return { ...rest, active: d.ended_at === null && Date.parse(d.until) > now.getTime() };
}

const id = z.string().regex(/^\d{1,18}$/, 'must be an id');

/** Filters shared by list and bulk delete. */
export const decisionFilterFields = {
  scope: z
    .enum(DECISION_SCOPES, { error: (i) => `unknown scope ${JSON.stringify(i.input)} (known: ${DECISION_SCOPES.join(', ')})` })
    .optional(),
  value: z.string().min(1).max(300).optional(),
  /** Shorthand for scope=ip&value= (or scope=range when it is a CIDR). */
  ip: z.string().min(1).max(100).optional(),
  type: z
    .enum(DECISION_TYPES, { error: (i) => `unknown type ${JSON.stringify(i.input)} (known: ${DECISION_TYPES.join(', ')})` })
    .optional(),
  incident_id: id.optional(),
  origin: z.string().min(1).max(100).optional(),
};

export const listDecisionsQuery = z
  .object({
    ...decisionFilterFields,
    active: z.enum(['true', 'false', 'all']).default('true'),
    /** Search: a substring of the value or the reason. */
    q: z.string().trim().min(1).max(200).optional(),
    cursor: id.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict();

/** Resolves `ip`, `scope` and `value` into a canonical scope and value; throws invalid naming the field. */
export function resolveTargetFilter(f: { scope?: DecisionScopeName; value?: string; ip?: string }): {
  scope?: DecisionScopeName;
  value?: string;
} {
  if (f.ip !== undefined) {
    if (f.value !== undefined)
      throw new AppError('invalid', 'give ip or value, not both', { details: [{ path: 'ip', message: 'give ip or value, not both' }] });
    const scope = f.scope ?? (f.ip.includes('/') ? 'range' : 'ip');
    const t = canonicalTarget(scope, f.ip);
    if (!t.ok) throw new AppError('invalid', `invalid ip: ${t.message}`, { details: [{ path: 'ip', message: t.message }] });
    return { scope, value: t.value };
  }
  if (f.value !== undefined && f.scope !== undefined) {
    const t = canonicalTarget(f.scope, f.value);
    if (!t.ok) throw new AppError('invalid', `invalid value: ${t.message}`, { details: [{ path: 'value', message: t.message }] });
    return { scope: f.scope, value: t.value };
  }
  return { scope: f.scope, value: f.value };
}

export async function listDecisions(deps: Deps, actor: Actor, rawQuery: unknown): Promise<Page<DecisionView>> {
  authorize(actor, 'read');
  const f = parseInput(listDecisionsQuery, rawQuery, 'query');
  const now = deps.clock();
  const target = resolveTargetFilter(f);
  const filter: DecisionFilter = {
    ...target,
    type: f.type,
    incident_id: f.incident_id,
    origin: f.origin,
    state: f.active === 'true' ? 'active' : f.active === 'false' ? 'ended' : 'all',
    now,
    before: f.cursor,
    search: f.q,
    limit: f.limit + 1,
  };
  const rows = await repoList(deps.db, filter);
  const items = rows.slice(0, f.limit).map((d) => decisionView(d, now));
  return { items, next_cursor: rows.length > f.limit ? items[items.length - 1]!.id : null };
}

export async function getDecision(deps: Deps, actor: Actor, decisionId: string): Promise<DecisionView> {
  authorize(actor, 'read');
  const d = await repoGet(deps.db, decisionId);
  if (!d) throw new AppError('not_found', `decision ${decisionId} not found`);
  return decisionView(d, deps.clock());
}
