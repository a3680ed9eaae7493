/**
 * Validates one Event object (HTTP ingestion, NDJSON lines) into an FbEvent,
 * or returns the reason it is rejected. `ts` is RFC 3339 with a zone; known
 * fields are type-checked; other fields are kept in `attrs`.
 */
import type { FbEvent } from '../domain/event.ts';
import { canonicalIp } from '../domain/ip.ts';
import { TimeScan, scanRfc3339 } from './parsers/time.ts';

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
  if (attrs !== undefined) ev.attrs = attrs;
  return { ok: true, event: ev };
}
