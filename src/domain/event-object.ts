/**
 * Validates one Event object (HTTP ingestion, NDJSON lines) into an FbEvent,
 * or returns the reason it is rejected. `ts` is RFC 3339 with a zone; known
 * fields are type-checked; other fields are kept in `attrs`.
 *
 * Size limits (docs/security.md): an event nests at most MAX_ATTRS_DEPTH
 * objects/arrays inside `attrs` (unknown top-level fields count as inside it)
 * and measures at most MAX_EVENT_BYTES as JSON (estimated from its strings,
 * keys and numbers, without serializing). One hostile event (20,000 levels of
 * nesting, a megabyte of text) is refused here, before anything stores it or
 * recurses into it.
 */
import type { FbEvent } from './event.ts';
import { canonicalIp } from './ip.ts';
import { TimeScan, scanRfc3339 } from './time.ts';

const KNOWN = new Set([
  'type',
  'ts',
  'ip',
  'user_id',
  'method',
  'route',
  'status',
  'bytes',
  'user_agent',
  'latency_ms',
  'message',
  'attrs',
]);
const STRING_FIELDS = ['method', 'route', 'user_agent', 'message'] as const;
const TYPE_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** `attrs: {a: {b: 1}}` has depth 2. */
export const MAX_ATTRS_DEPTH = 8;
/** Roughly the event's JSON size; legitimate events are well under 2 KB. */
export const MAX_EVENT_BYTES = 16 * 1024;
/** Objects, arrays and scalars inside `attrs`. */
const MAX_ATTRS_NODES = 2_000;

/**
 * The problem with `attrs` (depth, node count, size), or null. Iterative,
 * so a 20,000-level nesting costs nine steps, not a stack overflow; `budget`
 * is what is left of MAX_EVENT_BYTES after the known fields.
 */
export function attrsProblem(attrs: Record<string, unknown>, budget: number): string | null {
  // Fast path, the usual case: a flat object of scalars needs no stack.
  let flatBytes = 2;
  let flatNodes = 1;
  let flat = true;
  for (const k in attrs) {
    const v = attrs[k];
    flatNodes++;
    flatBytes += k.length + 4 + (typeof v === 'string' ? v.length + 3 : 8);
    if (v !== null && typeof v === 'object') {
      flat = false;
      break;
    }
  }
  if (flat) {
    if (flatNodes > MAX_ATTRS_NODES) return `attrs must hold at most ${MAX_ATTRS_NODES} values`;
    return flatBytes > budget ? `the event must be at most ${MAX_EVENT_BYTES / 1024} KB as JSON` : null;
  }
  const stack: [unknown, number][] = [[attrs, 1]];
  let bytes = 2;
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > MAX_ATTRS_NODES) return `attrs must hold at most ${MAX_ATTRS_NODES} values`;
    if (typeof v === 'string') bytes += v.length + 3;
    else if (v === null || typeof v !== 'object') bytes += 8;
    else {
      if (depth > MAX_ATTRS_DEPTH) return `attrs must nest at most ${MAX_ATTRS_DEPTH} levels of objects and arrays`;
      bytes += 2;
      if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
      else
        for (const k in v as Record<string, unknown>) {
          bytes += k.length + 4;
          stack.push([(v as Record<string, unknown>)[k], depth + 1]);
        }
    }
    if (bytes > budget) return `the event must be at most ${MAX_EVENT_BYTES / 1024} KB as JSON`;
  }
  return null;
}

export type EventObjectResult = { ok: true; event: FbEvent } | { ok: false; error: string };

export function eventFromObject(raw: unknown, scan: TimeScan = new TimeScan()): EventObjectResult {
  const r = validateEvent(raw, scan);
  return typeof r === 'string' ? { ok: false, error: r } : { ok: true, event: r };
}

/** The last `type` that passed TYPE_RE: traffic repeats a handful of types, so the regex runs rarely. */
let lastType = '';
const SIZE_ERROR = `the event must be at most ${MAX_EVENT_BYTES / 1024} KB as JSON`;

/**
 * eventFromObject without the result object (the ingest hot path): the
 * FbEvent, or the reason it is rejected as a string.
 */
export function validateEvent(raw: unknown, scan: TimeScan): FbEvent | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a JSON object';
  const o = raw as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || type === '') return 'type must be a non-empty string';
  if (type !== lastType) {
    if (!TYPE_RE.test(type)) return 'type must be 1-100 characters of letters, digits, _ . : -';
    lastType = type;
  }
  const ts = o.ts;
  if (typeof ts !== 'string') return 'ts must be an RFC 3339 string';
  if (!scanRfc3339(ts, 0, scan, true) || scan.end !== ts.length)
    return 'ts must be an RFC 3339 string with a zone, e.g. 2026-03-02T08:00:00Z';
  const ev: FbEvent = { type, tsUs: scan.us };
  /** Known fields present (null counts: a key of `o` all the same); more keys than these means unknown ones. */
  let known = 2;
  let bytes = 60 + type.length + ts.length;
  const ip = o.ip;
  if (ip !== undefined) {
    known++;
    if (ip !== null) {
      const c = typeof ip === 'string' ? canonicalIp(ip) : null;
      if (c === null) return 'ip must be an IPv4 or IPv6 address';
      ev.ip = c;
    }
  }
  const userId = o.user_id;
  if (userId !== undefined) {
    known++;
    if (userId !== null) {
      if (typeof userId === 'string' && userId.length <= 500) ev.user_id = userId;
      else if (typeof userId === 'number' && Number.isFinite(userId)) ev.user_id = String(userId);
      else return 'user_id must be a string';
      bytes += ev.user_id.length;
    }
  }
  for (let i = 0; i < STRING_FIELDS.length; i++) {
    const f = STRING_FIELDS[i]!;
    const v = o[f];
    if (v === undefined) continue;
    known++;
    if (v === null) continue;
    if (typeof v !== 'string') return `${f} must be a string`;
    ev[f] = v;
    bytes += v.length;
  }
  const status = o.status;
  if (status !== undefined) {
    known++;
    if (status !== null) {
      if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599)
        return 'status must be an HTTP status code (100-599)';
      ev.status = status as number;
    }
  }
  const nbytes = o.bytes;
  if (nbytes !== undefined) {
    known++;
    if (nbytes !== null) {
      if (!Number.isInteger(nbytes) || (nbytes as number) < 0) return 'bytes must be a non-negative integer';
      ev.bytes = nbytes as number;
    }
  }
  const latency = o.latency_ms;
  if (latency !== undefined) {
    known++;
    if (latency !== null) {
      if (typeof latency !== 'number' || !(latency >= 0) || !Number.isFinite(latency)) return 'latency_ms must be a non-negative number';
      ev.latency_ms = latency;
    }
  }
  let attrs: Record<string, unknown> | undefined;
  const givenAttrs = o.attrs;
  if (givenAttrs !== undefined) {
    known++;
    if (givenAttrs !== null) {
      if (typeof givenAttrs !== 'object' || Array.isArray(givenAttrs)) return 'attrs must be an object';
      attrs = givenAttrs as Record<string, unknown>;
    }
  }
  // Unknown top-level fields go into attrs: looked for only when `o` has more keys than the known ones seen.
  let keys = 0;
  for (const _k in o) if (++keys > known) break;
  if (keys > known)
    for (const k in o) {
      if (KNOWN.has(k)) continue;
      if (attrs === undefined || attrs === givenAttrs) attrs = { ...(attrs ?? {}) };
      attrs[k] = o[k];
    }
  if (bytes > MAX_EVENT_BYTES) return SIZE_ERROR;
  if (attrs !== undefined) {
    const problem = attrsProblem(attrs, MAX_EVENT_BYTES - bytes);
    if (problem !== null) return problem;
    ev.attrs = attrs;
  }
  return ev;
}
