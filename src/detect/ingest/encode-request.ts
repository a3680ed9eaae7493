/**
 * One accepted request made ready for storage: the events to store, encoded
 * once (on the request's own time, not the writer's), and the events that
 * cannot be encoded set aside as dead letters instead of poisoning the batch.
 *
 * When the request's own JSON text of each event is at hand (NDJSON lines,
 * each one JSON object that JSON.parse read alone and eventFromObject
 * accepted), that text is stored as it is instead of encoding the FbEvent
 * again (JSON.stringify was 1.2 µs of the ~12 µs an event costs); decoding
 * validates it into the same FbEvent (store/event-repo.ts).
 */
import type { FbEvent } from '../../domain/event.ts';
import { MAX_EVENT_BYTES } from '../../domain/event-object.ts';
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

/** A line longer than this (whitespace padding: validation estimates the event's size without it) is stored re-encoded. */
const MAX_TEXT_CHARS = 2 * MAX_EVENT_BYTES;

/**
 * `texts[i]`, when given, is the JSON text `toStore[i]` was validated from
 * (one JSON object).
 */
export function encodeRequest(toStore: readonly FbEvent[], source: string, texts?: readonly string[]): EncodedRequest {
  const out: EncodedRequest = { part: '', stored: 0, tsMinUs: Infinity, tsMaxUs: -Infinity, types: new Set(), dead: [] };
  if (toStore.length === 0) return out;
  let good: readonly FbEvent[] = toStore;
  try {
    out.part = texts ? joinTexts(toStore, texts) : encodeEvents(toStore);
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

/** The texts comma separated (a padded one re-encoded); throws like encodeEvents. */
function joinTexts(evs: readonly FbEvent[], texts: readonly string[]): string {
  for (const t of texts)
    if (t.length > MAX_TEXT_CHARS) return texts.map((x, i) => (x.length <= MAX_TEXT_CHARS ? x : encodeEvent(evs[i]!))).join(',');
  return texts.join(',');
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
