/** Dead letters (events that could not be stored as events), newest first; administrators only: they hold raw event data. */
import { z } from 'zod';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { countDeadLetters, listDeadLetters as repoList, type DeadLetter } from '../../store/dead-letter-repo.ts';

export const listDeadLettersQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'must be a cursor from next_cursor')
      .optional(),
  })
  .strict();

export async function listDeadLetters(
  deps: Deps,
  actor: Actor,
  rawQuery: unknown,
): Promise<{ items: DeadLetter[]; next_cursor: string | null; total: { letters: number; events: number } }> {
  authorize(actor, 'admin');
  const f = parseInput(listDeadLettersQuery, rawQuery ?? {}, 'query');
  const items = await repoList(deps.db, { before: f.cursor, limit: f.limit + 1 });
  const more = items.length > f.limit;
  const page = more ? items.slice(0, f.limit) : items;
  return { items: page, next_cursor: more ? page[page.length - 1]!.id : null, total: await countDeadLetters(deps.db) };
}
