/**
 * Who may read what runbook commands printed: responders and admins. A
 * command's output can hold anything the host shows it (configuration,
 * addresses, tokens printed by a tool), so viewers see that a step ran and
 * how it ended, not its output.
 */
import { can } from '../../domain/roles.ts';
import type { TimelineEntry } from '../../store/timeline-repo.ts';
import type { RunView } from '../runbooks/runbook-run-view.ts';
import type { Actor } from '../core/context.ts';

export const OUTPUT_HIDDEN = '(output hidden: responders and admins may read it)';

export function canSeeCommandOutput(actor: Actor): boolean {
  return actor.role === 'system' || can(actor.role, 'incidents:write');
}

/** The run with every command step's output replaced by OUTPUT_HIDDEN. */
export function withoutCommandOutput(run: RunView): RunView {
  return {
    ...run,
    steps: run.steps.map((s) => (s.kind === 'command' && s.output !== undefined ? { ...s, output: OUTPUT_HIDDEN } : s)),
  };
}

/** A `step` timeline entry without the command's output. */
export function withoutStepOutput(e: TimelineEntry): TimelineEntry {
  const data = e.data as Record<string, unknown> | null | undefined;
  if (e.kind !== 'step' || !data || data.output === undefined || data.kind !== 'command') return e;
  return { ...e, data: { ...data, output: OUTPUT_HIDDEN } };
}
