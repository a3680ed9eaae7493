/**
 * Makes a decision by hand (POST /api/v1/decisions, `firebreak decisions add`):
 * check the role, parse the input, refuse allowlisted targets (409 naming
 * the entry), write the decision, the audit record and, when it names an
 * incident, a timeline entry, in one transaction.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { formatDuration, parseDuration } from '../../domain/duration.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Decision } from '../../store/decision-repo.ts';
import {
  DECISION_SCOPES,
  DECISION_TYPES,
  DEFAULT_MANUAL_DURATION_MS,
  MAX_DURATION_MS,
  MIN_DURATION_MS,
} from '../../respond/decision-target.ts';
import { describeAllowEntry } from '../../respond/allowlist-match.ts';
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { MANUAL_ORIGIN } from './respond-deps.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { decideInTx } from './decide.ts';

const enumError = (what: string, values: readonly string[]) => ({
  error: (iss: { input?: unknown }) => `unknown ${what} ${JSON.stringify(iss.input)} (known: ${values.join(', ')})`,
});

export const createDecisionInput = z
  .object({
    scope: z.enum(DECISION_SCOPES, enumError('scope', DECISION_SCOPES)),
    value: z.string().max(300).optional(),
    type: z.enum(DECISION_TYPES, enumError('type', DECISION_TYPES)).default('ban'),
    /** `4h`, `30m`, `7d`, or seconds. Default 4h. */
    duration: z.union([z.string(), z.number()]).optional(),
    /** RFC 3339; instead of duration. */
    until: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-03-02T09:00:00Z' }).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
    incident_id: z
      .string()
      .regex(/^\d{1,18}$/, 'must be an incident id')
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.duration !== undefined && v.until !== undefined)
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'give duration or until, not both' });
    if (v.duration !== undefined) {
      const ms = typeof v.duration === 'number' ? v.duration * 1000 : parseDuration(v.duration);
      if (ms === null || !Number.isFinite(ms))
        ctx.addIssue({
          code: 'custom',
          path: ['duration'],
          message: `"${String(v.duration)}" is not a duration (use 30m, 4h, 7d, or seconds)`,
        });
      else if (ms < MIN_DURATION_MS) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'must be positive: at least 1s' });
      else if (ms > MAX_DURATION_MS)
        ctx.addIssue({ code: 'custom', path: ['duration'], message: `must be at most 10 years (got ${formatDuration(ms)})` });
    }
  });
export type CreateDecisionInput = z.infer<typeof createDecisionInput>;

export interface CreateDecisionResult {
  decision: Decision;
  /** `created` (201), or `existing` / `extended` when a live decision for the same target and type was there (200). */
  outcome: 'created' | 'existing' | 'extended';
}

export async function createDecision(deps: RespondDeps, actor: Actor, raw: unknown): Promise<CreateDecisionResult> {
  authorize(actor, 'decisions:write');
  const input = parseInput(createDecisionInput, raw);
  const durationMs =
    input.duration === undefined
      ? DEFAULT_MANUAL_DURATION_MS
      : typeof input.duration === 'number'
        ? input.duration * 1000
        : parseDuration(input.duration)!;
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    if (input.until !== undefined) {
      const ms = Date.parse(input.until) - now.getTime();
      if (!(ms >= MIN_DURATION_MS))
        throw new AppError('invalid', 'until must be in the future', { details: [{ path: 'until', message: 'must be in the future' }] });
      if (ms > MAX_DURATION_MS)
        throw new AppError('invalid', 'until must be at most 10 years ahead', {
          details: [{ path: 'until', message: 'must be at most 10 years ahead' }],
        });
    }
    if (input.incident_id && !(await getIncident(q, input.incident_id))) {
      throw new AppError('invalid', `incident ${input.incident_id} does not exist`, {
        details: [{ path: 'incident_id', message: `no incident ${input.incident_id}` }],
      });
    }
    const reason = input.reason ?? `manual ${input.type} by ${actor.name}`;
    const r = await decideInTx(
      q,
      deps,
      {
        scope: input.scope,
        value: input.value,
        type: input.type,
        durationMs,
        until: input.until ? new Date(input.until) : undefined,
        reason,
        origin: MANUAL_ORIGIN,
        createdBy: actor.name,
        incidentId: input.incident_id ?? null,
        actionId: null,
      },
      now,
    );
    if (r.status === 'allowlisted') {
      const entry = describeAllowEntry(r.entry);
      throw new AppError('conflict', `${input.value ?? ''} is on the allowlist: ${entry}; allowlisted addresses are never banned`, {
        details: [{ path: 'value', message: `overlaps allowlist entry ${entry}` }],
      });
    }
    const d = r.decision;
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: r.status === 'extended' ? 'decision.extend' : 'decision.create',
      target: `decision:${d.id}`,
      ip: actor.ip,
      details: { outcome: r.status, scope: d.scope, value: d.value, type: d.type, until: d.until },
    });
    if (input.incident_id && r.status !== 'existing') {
      await appendTimeline(q, {
        incidentId: input.incident_id,
        at: now,
        kind: 'decision',
        actor: actor.name,
        message: `${d.type} on ${d.scope} ${d.value} until ${d.until}${r.status === 'extended' ? ' (extended)' : ''}: ${d.reason}`,
        data: { decision_id: d.id, scope: d.scope, value: d.value, type: d.type, until: d.until },
      });
    }
    return { decision: d, outcome: r.status };
  });
}
