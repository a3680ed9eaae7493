/**
 * NDJSON events (docs/design.md "Log formats"): one Event object per line,
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
import { BaseLineParser } from './base-parser.ts';
import { TimeScan } from '../../domain/time.ts';
import { eventFromObject } from '../../domain/event-object.ts';

/** Parser for one NDJSON file: the same validation as HTTP ingestion (event-object.ts). */
export class NdjsonParser extends BaseLineParser {
  private readonly scan = new TimeScan();

  parse(line: string): FbEvent | null {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return line.trim() === '' ? this.no('ignored', 'blank line') : this.no('unparseable', 'invalid JSON');
    }
    const r = eventFromObject(raw, this.scan);
    return r.ok ? r.event : this.no('unparseable', r.error);
  }
}
