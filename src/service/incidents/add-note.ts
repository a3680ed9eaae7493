import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getIncident, updateIncident } from '../../store/incident-repo.ts';
import { appendTimeline, type TimelineEntry } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';

export const noteInput = z.object({ text: z.string().trim().min(1, 'must not be empty').max(20_000) }).strict();

/** Adds a note to the timeline (allowed in every status: post-incident notes matter too). */
export async function addNote(deps: Deps, actor: Actor, id: string, raw: unknown): Promise<TimelineEntry> {
  authorize(actor, 'incidents:write');
  const { text } = parseInput(noteInput, raw);
  const entry = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const inc = await getIncident(q, id, true);
    if (!inc) throw new AppError('not_found', `incident ${id} not found`);
    const e = await appendTimeline(q, { incidentId: id, at: now, kind: 'note', actor: actor.name, message: text });
    await updateIncident(q, id, { updated_at: now });
    await writeAudit(q, { at: now, actor: actor.id, action: 'incident.note', target: `incident:${id}`, ip: actor.ip });
    return e;
  });
  return entry;
}
