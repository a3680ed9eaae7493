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
  const no = (error: string): EventObjectResult => ({ ok: false, error });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return no('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.type !== 'string' || o.type === '') return no('type must be a non-empty string');
  if (!TYPE_RE.test(o.type)) return no('type must be 1-100 characters of letters, digits, _ . : -');
  if (typeof o.ts !== 'string') return no('ts must be an RFC 3339 string');
  if (!scanRfc3339(o.ts, 0, scan, true) || scan.end !== o.ts.length)
    return no('ts must be an RFC 3339 string with a zone, e.g. 2026-03-02T08:00:00Z');
  const ev: FbEvent = { type: o.type, tsUs: scan.us };
  if (o.ip !== undefined && o.ip !== null) {
    const ip = typeof o.ip === 'string' ? canonicalIp(o.ip) : null;
    if (ip === null) return no('ip must be an IPv4 or IPv6 address');
    ev.ip = ip;
  }
  if (o.user_id !== undefined && o.user_id !== null) {
    if (typeof o.user_id === 'string' && o.user_id.length <= 500) ev.user_id = o.user_id;
    else if (typeof o.user_id === 'number' && Number.isFinite(o.user_id)) ev.user_id = String(o.user_id);
    else return no('user_id must be a string');
  }
  for (const f of STRING_FIELDS) {
    const v = o[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return no(`${f} must be a string`);
    ev[f] = v;
  }
  if (o.status !== undefined && o.status !== null) {
    if (!Number.isInteger(o.status) || (o.status as number) < 100 || (o.status as number) > 599)
      return no('status must be an HTTP status code (100-599)');
    ev.status = o.status as number;
  }
  if (o.bytes !== undefined && o.bytes !== null) {
    if (!Number.isInteger(o.bytes) || (o.bytes as number) < 0) return no('bytes must be a non-negative integer');
    ev.bytes = o.bytes as number;
  }
  if (o.latency_ms !== undefined && o.latency_ms !== null) {
    if (typeof o.latency_ms !== 'number' || !(o.latency_ms >= 0) || !Number.isFinite(o.latency_ms))
      return no('latency_ms must be a non-negative number');
    ev.latency_ms = o.latency_ms;
  }
  let attrs: Record<string, unknown> | undefined;
  if (o.attrs !== undefined && o.attrs !== null) {
    if (typeof o.attrs !== 'object' || Array.isArray(o.attrs)) return no('attrs must be an object');
    attrs = o.attrs as Record<string, unknown>;
  }
  for (const k in o) {
    if (KNOWN.has(k)) continue;
    if (attrs === undefined || attrs === o.attrs) attrs = { ...(attrs ?? {}) };
    attrs[k] = o[k];
  }
  let bytes = 60 + o.type.length + o.ts.length + (ev.user_id?.length ?? 0);
  for (const f of STRING_FIELDS) bytes += ev[f]?.length ?? 0;
  if (bytes > MAX_EVENT_BYTES) return no(`the event must be at most ${MAX_EVENT_BYTES / 1024} KB as JSON`);
  if (attrs !== undefined) {
    const problem = attrsProblem(attrs, MAX_EVENT_BYTES - bytes);
    if (problem !== null) return no(problem);
    ev.attrs = attrs;
  }
  return { ok: true, event: ev };
}
