/**
 * NDJSON events (DESIGN.md "Log formats"): one Event object per line,
 *
 *   {"type":"auth.login_failed","ts":"2026-03-02T08:00:00.218229Z","ip":"203.0.113.5","user_id":"root"}
 *
 * `type` (non-empty string) and `ts` (RFC 3339 with a zone) are required.
 * Known fields are type-checked: ip (an address, canonicalized), user_id
 * (string or number, kept as a string), method, route, user_agent, message
 * (strings), status, bytes (integers), latency_ms (a non-negative number),
 * attrs (an object). Other fields are kept in `attrs`. A line failing any
 * check is `unparseable` with the first problem as reason; a blank line is `ignored`.
 */
import type { FbEvent } from '../../domain/event.ts';
import { canonicalIp } from '../../domain/ip.ts';
import type { LineParser, SkipKind } from './index.ts';
import { TimeScan, scanRfc3339 } from './time.ts';

const KNOWN = new Set(['type', 'ts', 'ip', 'user_id', 'method', 'route', 'status', 'bytes', 'user_agent', 'latency_ms', 'message', 'attrs']);
const STRING_FIELDS = ['method', 'route', 'user_agent', 'message'] as const;

/** Parser for one NDJSON file. */
export class NdjsonParser implements LineParser {
  skip: SkipKind = 'ignored';
  reason = '';
  repeat = 1;
  private readonly scan = new TimeScan();

  parseRange(text: string, start: number, end: number): FbEvent | null {
    return this.parse(text.slice(start, end));
  }

  parse(line: string): FbEvent | null {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return line.trim() === '' ? this.no('ignored', 'blank line') : this.no('unparseable', 'invalid JSON');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return this.no('unparseable', 'not a JSON object');
    const o = raw as Record<string, unknown>;
    if (typeof o.type !== 'string' || o.type === '') return this.no('unparseable', 'type must be a non-empty string');
    if (typeof o.ts !== 'string') return this.no('unparseable', 'ts must be an RFC 3339 string');
    if (!scanRfc3339(o.ts, 0, this.scan, true) || this.scan.end !== o.ts.length) return this.no('unparseable', 'ts must be an RFC 3339 string');
    const ev: FbEvent = { type: o.type, tsUs: this.scan.us };

    if (o.ip !== undefined && o.ip !== null) {
      const ip = typeof o.ip === 'string' ? canonicalIp(o.ip) : null;
      if (ip === null) return this.no('unparseable', 'ip must be an IP address');
      ev.ip = ip;
    }
    if (o.user_id !== undefined && o.user_id !== null) {
      if (typeof o.user_id === 'string') ev.user_id = o.user_id;
      else if (typeof o.user_id === 'number' && Number.isFinite(o.user_id)) ev.user_id = String(o.user_id);
      else return this.no('unparseable', 'user_id must be a string');
    }
    for (const f of STRING_FIELDS) {
      const v = o[f];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return this.no('unparseable', `${f} must be a string`);
      ev[f] = v;
    }
    if (o.status !== undefined && o.status !== null) {
      if (!Number.isInteger(o.status)) return this.no('unparseable', 'status must be an integer');
      ev.status = o.status as number;
    }
    if (o.bytes !== undefined && o.bytes !== null) {
      if (!Number.isInteger(o.bytes) || (o.bytes as number) < 0) return this.no('unparseable', 'bytes must be a non-negative integer');
      ev.bytes = o.bytes as number;
    }
    if (o.latency_ms !== undefined && o.latency_ms !== null) {
      if (typeof o.latency_ms !== 'number' || !(o.latency_ms >= 0) || !Number.isFinite(o.latency_ms)) return this.no('unparseable', 'latency_ms must be a non-negative number');
      ev.latency_ms = o.latency_ms;
    }
    let attrs: Record<string, unknown> | undefined;
    if (o.attrs !== undefined && o.attrs !== null) {
      if (typeof o.attrs !== 'object' || Array.isArray(o.attrs)) return this.no('unparseable', 'attrs must be an object');
      attrs = o.attrs as Record<string, unknown>;
    }
    for (const k in o) {
      if (KNOWN.has(k)) continue;
      if (attrs === undefined || attrs === o.attrs) attrs = { ...(attrs ?? {}) };
      attrs[k] = o[k];
    }
    if (attrs !== undefined) ev.attrs = attrs;
    return ev;
  }

  private no(kind: SkipKind, reason: string): null {
    this.skip = kind;
    this.reason = reason;
    return null;
  }
}
