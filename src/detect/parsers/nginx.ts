/**
 * nginx / Apache access logs (docs/design.md "Log formats"): the combined format,
 * optionally followed by `$request_time` in seconds; the common format
 * (without referer and user agent) is accepted too.
 *
 *   203.0.113.5 - alice [10/Oct/2026:13:55:36 +0200] "GET /a?b=1 HTTP/1.1" 503 512 "-" "curl/8.5" 0.123
 *
 * → `http.request` { ip, user_id (remote user, unless `-`), method, route
 * (the path without its query string), status, bytes (`-` → 0), user_agent
 * (unless `-`), latency_ms (request time × 1000, when present) }.
 * The time may also be RFC 3339 (`[2026-10-10T13:55:36+02:00]`, nginx
 * `$time_iso8601`). Quoted fields may contain escaped quotes (`\"`). A
 * request line that is not `METHOD target ...` (e.g. `"-"`, garbage from
 * scanners) still makes an event, without method and route.
 * A blank line is `ignored`; anything else malformed is `unparseable`.
 */
import type { FbEvent } from '../../domain/event.ts';
import { canonicalIp } from '../../domain/ip.ts';
import { BaseLineParser } from './base-parser.ts';
import { TimeScan, digitsAt, scanClfTime, scanRfc3339 } from './time.ts';

/** Parser for one access log file. */
export class NginxParser extends BaseLineParser {
  private readonly scan = new TimeScan();

  parse(line: string): FbEvent | null {
    const sp = line.indexOf(' ');
    if (sp <= 0) return line.trim() === '' ? this.no('ignored', 'blank line') : this.no('unparseable', 'not an access log line');
    const ip = canonicalIp(line.slice(0, sp));
    if (ip === null) return this.no('unparseable', 'invalid address');

    // `<ident> <user> [` : the user may be `-`.
    const lb = line.indexOf(' [', sp);
    if (lb < 0) return this.no('unparseable', 'no [time]');
    const sp2 = line.indexOf(' ', sp + 1);
    const userStart = sp2 + 1;
    const user = sp2 > 0 && userStart < lb ? line.slice(userStart, lb) : '-';

    const scan = this.scan;
    const t = lb + 2;
    const iso = line.charCodeAt(t + 4) === 45;
    if (!(iso ? scanRfc3339(line, t, scan, true) : scanClfTime(line, t, scan)) || line.charCodeAt(scan.end) !== 93) {
      return this.no('unparseable', 'invalid time');
    }
    const tsUs = scan.us;

    // "request"
    let i = scan.end + 1;
    if (line.charCodeAt(i) !== 32 || line.charCodeAt(i + 1) !== 34) return this.no('unparseable', 'no request');
    const reqStart = i + 2;
    const reqEnd = closingQuote(line, reqStart);
    if (reqEnd < 0) return this.no('unparseable', 'unterminated request');
    let method: string | undefined;
    let route: string | undefined;
    const m = line.indexOf(' ', reqStart);
    if (m > reqStart && m < reqEnd) {
      let pe = line.indexOf(' ', m + 1);
      if (pe < 0 || pe > reqEnd) pe = reqEnd;
      const q = line.indexOf('?', m + 1);
      if (q >= 0 && q < pe) pe = q;
      if (pe > m + 1) {
        method = line.slice(reqStart, m);
        route = line.slice(m + 1, pe);
      }
    }

    // status bytes
    i = reqEnd + 1;
    const status = line.charCodeAt(i) === 32 ? digitsAt(line, i + 1, 3) : -1;
    if (status < 100 || line.charCodeAt(i + 4) !== 32) return this.no('unparseable', 'invalid status');
    i += 5;
    let bytes = 0;
    const bStart = i;
    if (line.charCodeAt(i) === 45) i++;
    else for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) bytes = bytes * 10 + (c - 48);
    if (i === bStart || (i < line.length && line.charCodeAt(i) !== 32)) return this.no('unparseable', 'invalid byte count');

    // Optional "referer" "user agent", then an optional request time.
    let userAgent: string | undefined;
    if (line.charCodeAt(i) === 32 && line.charCodeAt(i + 1) === 34) {
      const refEnd = closingQuote(line, i + 2);
      if (refEnd < 0 || line.charCodeAt(refEnd + 1) !== 32 || line.charCodeAt(refEnd + 2) !== 34)
        return this.no('unparseable', 'malformed referer or user agent');
      const uaEnd = closingQuote(line, refEnd + 3);
      if (uaEnd < 0) return this.no('unparseable', 'unterminated user agent');
      const ua = line.slice(refEnd + 3, uaEnd);
      if (ua !== '-' && ua !== '') userAgent = ua;
      i = uaEnd + 1;
    }
    let latencyMs: number | undefined;
    if (line.charCodeAt(i) === 32) {
      let s = i + 1;
      if (line.startsWith('rt=', s)) s += 3;
      let e = line.indexOf(' ', s);
      if (e < 0) e = line.length;
      const sec = e > s ? Number(line.slice(s, e)) : NaN;
      if (sec >= 0 && Number.isFinite(sec)) latencyMs = Math.round(sec * 1_000_000) / 1000;
    }
    return {
      type: 'http.request',
      tsUs,
      ip,
      user_id: user === '-' || user === '' ? undefined : user,
      method,
      route,
      status,
      bytes,
      user_agent: userAgent,
      latency_ms: latencyMs,
    };
  }
}

/** Index of the `"` closing a quoted field whose content starts at `i`, skipping `\"`; -1 if none. */
function closingQuote(line: string, i: number): number {
  for (let q = line.indexOf('"', i); q >= 0; q = line.indexOf('"', q + 1)) {
    let bs = 0;
    while (q - 1 - bs >= i && line.charCodeAt(q - 1 - bs) === 92) bs++;
    if (bs % 2 === 0) return q;
  }
  return -1;
}
