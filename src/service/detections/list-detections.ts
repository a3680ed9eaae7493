/**
 * Detections as records (issue #13): every firing, newest first, with the
 * incident it opened or joined. Items have the shape `firebreak replay`
 * prints (`{rule, key, at, value}`) plus `incident_id`, so a live run and a
 * replay compare line by line. Viewers may read.
 */
import { z } from 'zod';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { listDetectionRows, type DetectionRow } from '../../store/detection-repo.ts';

export const listDetectionsQuery = z
  .object({
    rule: z.string().min(1).max(200).optional(),
    key: z.string().min(1).max(500).optional(),
    since: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-03-02T08:00:00Z' }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z
      .string()
      .regex(/^\d{1,18}\.\d{1,18}$/, 'must be a cursor from next_cursor')
      .optional(),
  })
  .strict();

export interface DetectionPage {
  items: DetectionRow[];
  next_cursor: string | null;
}

export async function listDetections(deps: Deps, actor: Actor, rawQuery: unknown): Promise<DetectionPage> {
  authorize(actor, 'read');
  const f = parseInput(listDetectionsQuery, rawQuery ?? {}, 'query');
  const [atUs, id] = f.cursor ? f.cursor.split('.') : [];
  const items = await listDetectionRows(deps.db, {
    rule: f.rule,
    key: f.key,
    sinceUs: f.since ? Date.parse(f.since) * 1000 : undefined,
    before: f.cursor ? { atUs: Number(atUs), id: id! } : undefined,
    limit: f.limit + 1,
  });
  const more = items.length > f.limit;
  const page = more ? items.slice(0, f.limit) : items;
  const last = page[page.length - 1];
  return { items: page, next_cursor: more && last ? `${last.atUs}.${last.id}` : null };
}
