import { z } from 'zod';
import { skipStep } from '../../domain/runbook-run.ts';
import type { Actor, Deps } from '../core/context.ts';
import { parseInput } from '../core/validate.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { changeRunbookStep } from './change-runbook-step.ts';
import type { RunView } from './runbook-run-view.ts';

export const skipStepInput = z.object({ reason: z.string().trim().min(1).max(20_000).optional() }).strict();

/** A responder decides a step is not needed (e.g. the Docker branch on a systemd host). */
export function skipRunbookStep(
  deps: Deps,
  rt: RunbookRuntime,
  actor: Actor,
  incidentId: string,
  stepId: string,
  raw: unknown,
): Promise<RunView> {
  const { reason } = parseInput(skipStepInput, raw ?? {});
  return changeRunbookStep(deps, rt, actor, incidentId, stepId, {
    verb: 'skip',
    needsOpen: false,
    apply: (s, now) => skipStep(s, stepId, actor.name, reason, now),
    message: (def) => `Step "${def.title}" (${def.id}) skipped by ${actor.name}`,
    text: reason,
  });
}
