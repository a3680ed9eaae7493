import { z } from 'zod';
import { retryStep } from '../../domain/runbook-run.ts';
import type { Actor, Deps } from '../core/context.ts';
import { parseInput } from '../core/validate.ts';
import type { RunbookRuntime } from './runbook-runtime.ts';
import { changeRunbookStep } from './change-runbook-step.ts';
import type { RunView } from './runbook-run-view.ts';

export const retryStepInput = z.object({ note: z.string().trim().min(1).max(20_000).optional() }).strict();

/**
 * A failed step goes back in line: actions and ungated commands run again
 * at once; a gated command waits for a new approval.
 */
export function retryRunbookStep(
  deps: Deps,
  rt: RunbookRuntime,
  actor: Actor,
  incidentId: string,
  stepId: string,
  raw: unknown,
): Promise<RunView> {
  const { note } = parseInput(retryStepInput, raw ?? {});
  return changeRunbookStep(deps, rt, actor, incidentId, stepId, {
    verb: 'retry',
    needsOpen: true,
    apply: (s, now) => retryStep(s, stepId, now),
    message: (def) =>
      `Step "${def.title}" (${def.id}) retried by ${actor.name}${'command' in def && def.approval === 'required' ? '; it needs a new approval' : ''}`,
    text: note,
  });
}
