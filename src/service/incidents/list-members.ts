/**
 * GET /api/v1/incidents/{id}/members: the keys of a campaign in the order
 * they joined (the opener first), each with its first and last detection and
 * the decisions the incident made on it; `q` filters by a part of the key.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { listMembers as repoList } from '../../store/campaign-repo.ts';
import { decisionsForValues } from '../../store/decision-repo.ts';
import { decisionView, type DecisionView } from '../response/query-decisions.ts';
import type { Actor, Deps } from '../core/context.ts';
import type { Page } from './query-incidents.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';

export const listMembersQuery = z
  .object({
    q: z.string().trim().min(1).max(200).optional(),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'must be a cursor from next_cursor')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export interface MemberView {
  key: string;
  first_detection_at: string;
  last_detection_at: string;
  detections: number;
  decisions: DecisionView[];
}

export async function listIncidentMembers(deps: Deps, actor: Actor, id: string, rawQuery: unknown): Promise<Page<MemberView>> {
  authorize(actor, 'read');
  const f = parseInput(listMembersQuery, rawQuery, 'query');
  const inc = await getIncident(deps.db, id);
  if (!inc) throw new AppError('not_found', `incident ${id} not found`);
  const rows = await repoList(deps.db, id, { search: f.q, after: f.cursor, limit: f.limit + 1 });
  const page = rows.slice(0, f.limit);
  const valueOf = (key: string) => key.slice(key.indexOf(':') + 1);
  const now = deps.clock();
  const decisions = await decisionsForValues(deps.db, id, [...new Set(page.map((m) => valueOf(m.key)))]);
  const byValue = new Map<string, DecisionView[]>();
  for (const d of decisions) {
    let l = byValue.get(d.value);
    if (!l) byValue.set(d.value, (l = []));
    l.push(decisionView(d, now));
  }
  return {
    items: page.map((m) => ({
      key: m.key,
      first_detection_at: m.first_at,
      last_detection_at: m.last_at,
      detections: m.detections,
      decisions: byValue.get(valueOf(m.key)) ?? [],
    })),
    next_cursor: rows.length > f.limit ? page[page.length - 1]!.seq : null,
  };
}
