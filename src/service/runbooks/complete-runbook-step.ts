import { z } from 'zod';
import { completeManualStep } from '../../domain/runbook-run.ts';
import type { Actor, Deps } from '../core/context.ts';
import { parseInput } from '../core/validate.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { changeRunbookStep } from './change-runbook-step.ts';
import type { RunView } from './runbook-run-view.ts';

export const completeStepInput = z.object({ note: z.string().trim().min(1).max(20_000).optional() }).strict();

/** A responder ticks off a manual checklist step: pending → done. */
export function completeRunbookStep(
  deps: Deps,
  rt: RunbookRuntime,
  actor: Actor,
  incidentId: string,
  stepId: string,
  raw: unknown,
): Promise<RunView> {
  const { note } = parseInput(completeStepInput, raw ?? {});
  return changeRunbookStep(deps, rt, actor, incidentId, stepId, {
    verb: 'complete',
    needsOpen: false,
    apply: (s, now) => completeManualStep(s, stepId, actor.name, note, now),
    message: (def) => `Step "${def.title}" (${def.id}) done, checked by ${actor.name}`,
    text: note,
  });
}
