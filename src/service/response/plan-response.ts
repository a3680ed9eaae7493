/**
 * GET /api/v1/response-plan?type=&dedup_key=: what the default response to
 * an incident of this type and key would do, without doing it (the
 * `firebreak respond --dry-run` plan). Nothing is written.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { canonicalCidr } from '../../respond/decision-target.ts';
import { describeAllowEntry } from '../../respond/allowlist-match.ts';
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { defaultActionsFor } from './default-actions.ts';
import { prepareAction } from './run-action.ts';
import { allowlistedBy } from './allowlist.ts';
import type { Incident } from '../../domain/incident.ts';

export const planQuery = z
  .object({
    type: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must be an incident type such as brute_force_attempt'),
    dedup_key: z.string().min(1).max(500).optional(),
  })
  .strict();

export interface PlannedAction {
  action: string;
  step: string;
  target: string | null;
  params: Record<string, unknown>;
  description: string;
  /** Why it would not act (allowlisted target, not automated, no target). */
  note?: string;
}

export async function planResponse(
  deps: RespondDeps,
  actor: Actor,
  rawQuery: unknown,
): Promise<{ type: string; dedup_key: string | null; rule: string; actions: PlannedAction[] }> {
  authorize(actor, 'read');
  const qp = parseInput(planQuery, rawQuery, 'query');
  const { rule, actions } = defaultActionsFor(deps.config, qp.type);
  // A stand-in incident: targets derive from the dedup key exactly as for the real one.
  const incident = { id: '0', type: qp.type, dedup_key: qp.dedup_key ?? null, reopen_count: 0 } as Incident;
  const out: PlannedAction[] = [];
  for (const req of actions) {
    const p = prepareAction(deps, incident, req);
    if ('problems' in p) {
      out.push({
        action: req.action,
        step: req.action,
        target: null,
        params: req.params ?? {},
        description: req.action,
        note: `would be skipped: ${p.problems.map((x) => x.message).join('; ')}`,
      });
      continue;
    }
    const planned: PlannedAction = {
      action: req.action,
      step: p.step,
      target: p.target.key,
      params: p.params,
      description: p.action.describe(p.params, p.target),
    };
    const c = (p.target.kind === 'ip' || p.target.kind === 'range') && p.target.value ? canonicalCidr(p.target.value) : null;
    const entry = c ? await allowlistedBy(deps.db, deps.config, c) : null;
    if (entry) planned.note = `allowlisted: ${describeAllowEntry(entry)}; the attempt would be recorded on the timeline, nothing banned`;
    out.push(planned);
  }
  if (out.length === 0) throw new AppError('invalid', `the rule ${rule} has no actions`);
  return { type: qp.type, dedup_key: qp.dedup_key ?? null, rule, actions: out };
}
