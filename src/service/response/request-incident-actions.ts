/**
 * POST /api/v1/incidents/{id}/actions {actions?}: runs actions for an
 * incident (default: its type's default actions) and answers with each run.
 * Running the same request again returns the recorded runs (`replayed`).
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getIncident } from '../../store/incident-repo.ts';
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { defaultActionsFor } from './default-actions.ts';
import { runIncidentActions } from './run-incident-actions.ts';
import type { ActionRunResult } from './run-action.ts';

export const actionRequestSchema = z
  .object({
    action: z.string().min(1).max(64),
    params: z.record(z.string(), z.unknown()).optional(),
    step: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/, 'must be 1-64 characters: lowercase letters, digits, _ and -')
      .optional(),
  })
  .strict();

export const requestActionsInput = z.object({ actions: z.array(actionRequestSchema).min(1).max(50).optional() }).strict();

export async function requestIncidentActions(
  deps: RespondDeps,
  actor: Actor,
  incidentId: string,
  raw: unknown,
): Promise<{ items: ActionRunResult[]; next_cursor: null }> {
  authorize(actor, 'decisions:write');
  const input = parseInput(requestActionsInput, raw ?? {});
  const incident = await getIncident(deps.db, incidentId);
  if (!incident) throw new AppError('not_found', `incident ${incidentId} not found`);
  // Explicit actions must all be valid; defaults come from configuration, where a
  // step that cannot run by itself (run_command) is recorded as skipped.
  const actions = input.actions ?? defaultActionsFor(deps.config, incident.type).actions;
  const items = await runIncidentActions(deps, actor, incident, actions, { invalid: input.actions ? 'reject' : 'skip', awaitRemote: true });
  return { items, next_cursor: null };
}
