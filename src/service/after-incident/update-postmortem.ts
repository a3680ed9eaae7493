import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getPostmortem, updatePostmortem as repoUpdate, type PostmortemChanges } from '../../store/postmortem-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { nextReminderSlot, POSTMORTEM_STATUSES } from '../../domain/postmortem.ts';
import { normalizeText } from '../../domain/postmortem-markdown.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { toPostmortemView, type PostmortemView } from './query-postmortems.ts';
import { armPostmortemReminder } from './draft-postmortem.ts';

const text = z.string().max(200_000);

/**
 * The editable part of a post-mortem. Fields left out keep their value.
 * `version`, when given, must be the current one (else 409): two editors
 * never overwrite each other silently.
 */
export const updatePostmortemInput = z
  .object({
    title: z.string().trim().min(1, 'must not be empty').max(300).optional(),
    summary: text.optional(),
    body: text.optional(),
    root_cause: text.optional(),
    went_well: text.optional(),
    went_badly: text.optional(),
    lessons: text.optional(),
    status: z.enum(POSTMORTEM_STATUSES).optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();
export type UpdatePostmortemInput = z.infer<typeof updatePostmortemInput>;

const TEXT_FIELDS = ['summary', 'body', 'root_cause', 'went_well', 'went_badly', 'lessons'] as const;

/** Edits a post-mortem (responder or admin). A status change is written to the incident's timeline. */
export async function updatePostmortem(deps: Deps, actor: Actor, id: string, raw: unknown): Promise<PostmortemView> {
  authorize(actor, 'incidents:write');
  const input = parseInput(updatePostmortemInput, raw);
  const out = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const pm = await getPostmortem(q, id, true);
    if (!pm) throw new AppError('not_found', `post-mortem ${id} not found`);
    if (input.version !== undefined && input.version !== pm.version) {
      throw new AppError(
        'conflict',
        `post-mortem ${id} was changed by someone else (version ${pm.version}, you edited version ${input.version}); reload it and edit again`,
        {
          details: [{ path: 'version', message: `current version is ${pm.version}` }],
        },
      );
    }
    const set: PostmortemChanges = {};
    if (input.title !== undefined && input.title !== pm.title) set.title = input.title;
    for (const f of TEXT_FIELDS) {
      const v = input[f];
      if (v !== undefined && normalizeText(v) !== pm[f]) set[f] = normalizeText(v);
    }
    const statusChange = input.status !== undefined && input.status !== pm.status ? input.status : undefined;
    if (statusChange) {
      set.status = statusChange;
      set.published_at = statusChange === 'published' ? now : null;
    }
    const changed = Object.keys(set);
    if (changed.length === 0) return { pm, changed: false };
    const updated = await repoUpdate(q, id, { ...set, updated_at: now, updated_by: actor.name });
    if (statusChange) {
      await appendTimeline(q, {
        incidentId: pm.incident_id,
        at: now,
        kind: 'postmortem',
        actor: actor.name,
        message: `Post-mortem #${pm.id} is now ${statusChange} (was ${pm.status})`,
        data: { postmortem_id: pm.id, from: pm.status, to: statusChange },
      });
      // Reminders stop at publication; un-publishing starts them again from the next slot.
      if (pm.status === 'published') {
        const next = nextReminderSlot(Date.parse(pm.due_at), deps.config.postmortems.remind_every, now.getTime());
        await armPostmortemReminder(q, pm, next.slot, next.atMs, now);
      }
    }
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'postmortem.update',
      target: `postmortem:${id}`,
      ip: actor.ip,
      details: { fields: changed.filter((c) => c !== 'published_at') },
    });
    return { pm: updated, changed: true };
  });
  if (out.changed && input.status !== undefined) {
    const inc = await getIncident(deps.db, out.pm.incident_id);
    if (inc) deps.bus.publish({ type: 'incident.changed', incident: inc });
  }
  return toPostmortemView(out.pm, deps.clock());
}
