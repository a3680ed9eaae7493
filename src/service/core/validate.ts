/** Parses input with a zod schema into an AppError('invalid') that names every bad field. */
import type { z } from 'zod';
import { AppError } from '../../errors.ts';

export function formatIssuePath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: formatIssuePath(i.path) || '(root)', message: i.message }));
  const first = details[0]!;
  throw new AppError('invalid', `invalid ${what}: ${first.path === '(root)' ? '' : `${first.path}: `}${first.message}`, { details });
}
