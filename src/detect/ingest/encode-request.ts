/**
 * One accepted request made ready for storage: the events to store, encoded
 * once (on the request's own time, not the writer's), and the events that
 * cannot be encoded set aside as dead letters instead of poisoning the batch.
 */
import type { FbEvent } from '../../domain/event.ts';
import { encodeEvent, encodeEvents } from '../../store/event-repo.ts';
import type { DeadLetter } from '../../store/dead-letter-repo.ts';

export type DeadLetterInput = Omit<DeadLetter, 'id' | 'at'>;

export interface EncodedRequest {
  /** Encoded events to store, comma separated ('' when none). */
  part: string;
  stored: number;
  tsMinUs: number;
  tsMaxUs: number;
  types: Set<string>;
  dead: DeadLetterInput[];
}

/** Kept of a dead letter at most: enough to see what it was. */
const SAMPLE_CHARS = 2000;

export function encodeRequest(toStore: readonly FbEvent[], source: string): EncodedRequest {
  const out: EncodedRequest = { part: '', stored: 0, tsMinUs: Infinity, tsMaxUs: -Infinity, types: new Set(), dead: [] };
  if (toStore.length === 0) return out;
  let good: readonly FbEvent[] = toStore;
  try {
    out.part = encodeEvents(toStore);
  } catch {
    // Some event cannot be encoded (nesting too deep, a cycle…): find it, keep the rest.
    const parts: string[] = [];
    const kept: FbEvent[] = [];
    for (const ev of toStore) {
      try {
        parts.push(encodeEvent(ev));
        kept.push(ev);
      } catch (err) {
        out.dead.push({ source, error: `cannot encode the event: ${(err as Error).message}`, n: 1, sample: describe(ev) });
      }
    }
    out.part = parts.join(',');
    good = kept;
  }
  out.stored = good.length;
  for (const ev of good) {
    if (ev.tsUs < out.tsMinUs) out.tsMinUs = ev.tsUs;
    if (ev.tsUs > out.tsMaxUs) out.tsMaxUs = ev.tsUs;
    out.types.add(ev.type);
  }
  return out;
}

/** A bounded rendering of an event that JSON cannot encode: its top-level fields, nested values summarized. */
export function describe(ev: FbEvent): string {
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev)) {
    flat[k] = v !== null && typeof v === 'object' ? `[${Array.isArray(v) ? 'array' : 'object'}]` : typeof v === 'bigint' ? String(v) : v;
  }
  let s: string;
  try {
    s = JSON.stringify(flat);
  } catch {
    s = String(ev.type);
  }
  return s.length > SAMPLE_CHARS ? `${s.slice(0, SAMPLE_CHARS)}…` : s;
}
