import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { getPostmortem } from '../../store/postmortem-repo.ts';
import { insertActionItem, ACTION_ITEM_KINDS } from '../../store/action-item-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { toActionItemView, type ActionItemView } from './action-item-view.ts';
import { syncActionItemReminders } from './action-item-reminders.ts';

const id = z.string().regex(/^\d{1,18}$/, 'must be an id');

/** A runbook file path relative to the repository or `runbooks_dir`, e.g. `runbooks/03-brute-force-attempt.yaml`. */
export const runbookFile = z
  .string()
  .trim()
  .max(300)
  .regex(
    /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_.\-/]+\.ya?ml$/,
    'must be a relative path of a runbook file ending in .yaml or .yml, e.g. runbooks/03-brute-force-attempt.yaml',
  );

export const dueTime = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-03-09T09:00:00Z' });

export const createActionItemInput = z
  .object({
    title: z.string().trim().min(1, 'must not be empty').max(300),
    description: z.string().max(20_000).optional(),
    owner: z.string().trim().min(1).max(200).nullable().optional(),
    due: dueTime.nullable().optional(),
    /** Where it came from: give `postmortem_id` (source postmortem) or `incident_id` (source incident). */
    source: z.enum(['incident', 'postmortem']).optional(),
    incident_id: id.optional(),
    postmortem_id: id.optional(),
    kind: z.enum(ACTION_ITEM_KINDS).default('task'),
    runbook_file: runbookFile.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.incident_id && !v.postmortem_id)
      ctx.addIssue({ code: 'custom', path: ['incident_id'], message: 'give incident_id or postmortem_id' });
    if (v.source === 'postmortem' && !v.postmortem_id)
      ctx.addIssue({ code: 'custom', path: ['postmortem_id'], message: 'required when source is postmortem' });
    if (v.source === 'incident' && v.postmortem_id)
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'an item with a postmortem_id has source postmortem' });
    if (v.kind === 'runbook_update' && !v.runbook_file)
      ctx.addIssue({ code: 'custom', path: ['runbook_file'], message: 'required for kind runbook_update: the runbook file to change' });
    if (v.kind === 'task' && v.runbook_file)
      ctx.addIssue({ code: 'custom', path: ['runbook_file'], message: 'only for kind runbook_update' });
  });

/** Adds a follow-up task (responder or admin), with its reminders and a timeline entry on the incident. */
export async function createActionItem(deps: Deps, actor: Actor, raw: unknown): Promise<ActionItemView> {
  authorize(actor, 'incidents:write');
  const input = parseInput(createActionItemInput, raw);
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    let incidentId = input.incident_id;
    if (input.postmortem_id) {
      const pm = await getPostmortem(q, input.postmortem_id);
      if (!pm) throw new AppError('not_found', `post-mortem ${input.postmortem_id} not found`);
      if (incidentId && incidentId !== pm.incident_id)
        throw new AppError('invalid', `post-mortem ${pm.id} belongs to incident ${pm.incident_id}, not ${incidentId}`, {
          details: [{ path: 'incident_id', message: `must be ${pm.incident_id} or left out` }],
        });
      incidentId = pm.incident_id;
    }
    const inc = await getIncident(q, incidentId!);
    if (!inc) throw new AppError('not_found', `incident ${incidentId} not found`);
    const item = await insertActionItem(q, {
      title: input.title,
      description: input.description ?? '',
      owner: input.owner ?? null,
      due_at: input.due ? new Date(input.due) : null,
      source: input.postmortem_id ? 'postmortem' : 'incident',
      incident_id: inc.id,
      postmortem_id: input.postmortem_id ?? null,
      kind: input.kind,
      runbook_file: input.runbook_file ?? null,
      created_by: actor.name,
      now,
    });
    await syncActionItemReminders(q, item, deps.config.action_items.remind_before, now);
    await appendTimeline(q, {
      incidentId: inc.id,
      at: now,
      kind: 'action_item',
      actor: actor.name,
      message: `Action item #${item.id} added: ${item.title}${item.owner ? ` (owner ${item.owner})` : ''}${item.due_at ? `, due ${item.due_at}` : ''}`,
      data: { action_item_id: item.id, kind: item.kind, ...(item.runbook_file ? { runbook_file: item.runbook_file } : {}) },
    });
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'action_item.create',
      target: `action_item:${item.id}`,
      ip: actor.ip,
      details: { incident_id: inc.id, kind: item.kind },
    });
    return toActionItemView(deps, item, now);
  });
}
