/**
 * Records as the API shows them (ids and times as text) and rows as the
 * drivers return them (bigint ids as number or string, timestamptz as Date):
 * one mapping for the repositories whose records are their rows with ids and
 * times as text (incidents, timeline, action runs, notifications,
 * post-mortems, action items) instead of one per table.
 */

/** The driver's row of record `T`: columns in `Ids` come back as number or string, columns in `Times` as Date (nullable ones may be null). */
export type DbRow<T, Ids extends keyof T, Times extends keyof T> = {
  [K in keyof T]: K extends Ids
    ? null extends T[K]
      ? number | string | null
      : number | string
    : K extends Times
      ? null extends T[K]
        ? Date | null
        : Date
      : T[K];
};

/** The record of a driver row: `ids` as text, `times` as ISO 8601 text; null stays null, other columns pass as they are. */
export function fromDbRow<T>(row: object, ids: readonly (keyof T & string)[], times: readonly (keyof T & string)[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of ids) if (out[c] !== null && out[c] !== undefined) out[c] = String(out[c]);
  for (const c of times) if (out[c] instanceof Date) out[c] = (out[c] as Date).toISOString();
  return out as T;
}

/** ISO 8601 text of a time, null for null. */
export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
