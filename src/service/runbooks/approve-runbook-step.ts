import { z } from 'zod';
import { approveStep } from '../../domain/runbook-run.ts';
import type { Actor, Deps } from '../core/context.ts';
import { parseInput } from '../core/validate.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { changeRunbookStep } from './change-runbook-step.ts';
import type { RunView } from './runbook-run-view.ts';

export const approveStepInput = z.object({ note: z.string().trim().min(1).max(20_000).optional() }).strict();

/**
 * A responder approves one execution of a gated command: awaiting_approval
 * → approved; the command then runs exactly once (durable timer).
 */
export function approveRunbookStep(
  deps: Deps,
  rt: RunbookRuntime,
  actor: Actor,
  incidentId: string,
  stepId: string,
  raw: unknown,
): Promise<RunView> {
  const { note } = parseInput(approveStepInput, raw ?? {});
  return changeRunbookStep(deps, rt, actor, incidentId, stepId, {
    verb: 'approve',
    needsOpen: true,
    apply: (s, now) => approveStep(s, stepId, actor.name, now),
    message: (def) =>
      `Step "${def.title}" (${def.id}) approved by ${actor.name}${'command' in def ? `; running: ${def.command.trim()}` : ''}`,
    text: note,
  });
}
