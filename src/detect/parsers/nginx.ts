/**
 * nginx / Apache access logs (docs/log-sources.md "nginx"), read by the
 * user's own `log_format` (nginx-format.ts; default nginx's `combined`):
 *
 *   203.0.113.5 - alice [10/Oct/2026:13:55:36 +0200] "GET /a?b=1 HTTP/1.1" 503 512 "-" "curl/8.5"
 *
 * → `http.request` { ip, user_id (remote user, unless `-`), method, route
 * (the path without its query string), status, bytes (`-` → 0), user_agent
 * (unless `-`), latency_ms (only when the format has $request_time, %T or %D) }.
 * `$time_local` may also hold RFC 3339 time. Quoted fields may contain
 * escaped quotes (`\"`). A request line that is not `METHOD target ...`
 * (`"-"`, scanner garbage) still makes an event, without method and route.
 * Text after the format's end (fields appended by other tools) is ignored.
 *
 * Behind a proxy: when the connecting address is one of `trustedProxies`,
 * the client is the right-most address of `$http_x_forwarded_for` that is
 * not a trusted proxy (an invalid entry stops the walk: the hop before it is
 * the client). Entries left of it are the client's own claims, never used.
 *
 * A blank line is `ignored`; anything else that does not fit is `unparseable`.
 */
import type { FbEvent } from '../../domain/event.ts';
import { canonicalIp, IpMatcher } from '../../domain/ip.ts';
import { BaseLineParser } from './base-parser.ts';
import { compileLogFormat, Field, type CompiledFormat, type Step } from './nginx-format.ts';
import { TimeScan, scanClfTime, scanRfc3339 } from '../../domain/time.ts';

const REASON: Record<number, string> = {
  [Field.Addr]: 'invalid address',
  [Field.TimeLocal]: 'invalid time',
  [Field.TimeIso]: 'invalid time',
  [Field.Request]: 'unterminated request',
  [Field.Status]: 'invalid status',
  [Field.Bytes]: 'invalid byte count',
  [Field.UserAgent]: 'unterminated user agent',
};

/** Parser for one access log file. */
export class NginxParser extends BaseLineParser {
  private readonly scan = new TimeScan();
  private readonly fmt: CompiledFormat;
  private readonly proxies: IpMatcher | null;

  /** `logFormat`: a format string or preset name (throws Error when unusable; config validates first). */
  constructor(opts: { logFormat?: string; trustedProxies?: readonly string[] } = {}) {
    super();
    this.fmt = compileLogFormat(opts.logFormat);
    this.proxies = opts.trustedProxies && opts.trustedProxies.length > 0 ? new IpMatcher(opts.trustedProxies) : null;
  }

  parse(line: string): FbEvent | null {
    const steps = this.fmt.steps;
    const n = steps.length;
    if (line.trim() === '') return this.no('ignored', 'blank line');
    const ev: FbEvent = { type: 'http.request', tsUs: 0 };
    let xff = '';
    let haveTime = false;
    let i = 0;
    for (let k = 0; k < n; k++) {
      const st = steps[k]!;
      if (!line.startsWith(st.lit, i)) {
        if (k >= this.fmt.minSteps && i >= line.length) break;
        return this.no(
          'unparseable',
          k === 0 ? 'does not match the log format' : (REASON[st.field] ?? `does not match the log format at ${st.name}`),
        );
      }
      i += st.lit.length;
      const ve = this.valueEnd(line, i, k);
      if (ve < 0) return this.no('unparseable', REASON[st.field] ?? `does not match the log format at ${st.name}`);
      const problem = this.field(line, i, ve, st, ev);
      if (problem !== '') return this.no('unparseable', problem);
      if (st.field === Field.Xff) xff = line.slice(i, ve);
      else if (st.field === Field.TimeLocal || st.field === Field.TimeIso) haveTime = true;
      i = ve;
    }
    if (!haveTime || ev.status === undefined || ev.ip === undefined) return this.no('unparseable', 'does not match the log format');
    if (this.proxies !== null && xff !== '' && xff !== '-' && this.proxies.matches(ev.ip)) ev.ip = this.client(xff, ev.ip);
    return ev;
  }

  /** End of the value starting at `i` of step `k`: where the next literal starts. -1 when not found. */
  private valueEnd(line: string, i: number, k: number): number {
    const steps = this.fmt.steps;
    const next = k + 1 < steps.length ? steps[k + 1]!.lit : this.fmt.tail;
    const optionalRest = k + 1 >= this.fmt.minSteps;
    if (next === '') {
      const sp = line.indexOf(' ', i);
      return sp < 0 ? line.length : sp;
    }
    let e: number;
    if (steps[k]!.lit.endsWith('"') && next.charCodeAt(0) === 34) {
      e = closingQuote(line, i);
      if (e >= 0 && !line.startsWith(next, e)) e = -1;
    } else e = line.indexOf(next, i);
    if (e < 0 && optionalRest && next.charCodeAt(0) !== 34) {
      // The line stops here (a common-format line under a combined preset).
      const sp = line.indexOf(' ', i);
      return sp < 0 ? line.length : -1;
    }
    return e;
  }

  /** Stores the value [b, e) of `st` into `ev`; returns '' or the reason the line is unparseable. */
  private field(line: string, b: number, e: number, st: Step, ev: FbEvent): string {
    switch (st.field) {
      case Field.Addr: {
        const ip = canonicalIp(line.slice(b, e));
        if (ip === null) return 'invalid address';
        ev.ip = ip;
        return '';
      }
      case Field.User:
        if (e > b && !(e === b + 1 && line.charCodeAt(b) === 45)) ev.user_id = line.slice(b, e);
        return '';
      case Field.TimeLocal:
      case Field.TimeIso: {
        const scan = this.scan;
        const iso = st.field === Field.TimeIso || line.charCodeAt(b + 4) === 45;
        if (!(iso ? scanRfc3339(line, b, scan, true) : scanClfTime(line, b, scan)) || scan.end !== e) return 'invalid time';
        ev.tsUs = scan.us;
        return '';
      }
      case Field.Request:
        request(line, b, e, ev);
        return '';
      case Field.Method:
        if (e > b && line.charCodeAt(b) !== 45) ev.method = line.slice(b, e);
        return '';
      case Field.Uri: {
        const q = line.indexOf('?', b);
        if (e > b && line.charCodeAt(b) !== 45) ev.route = line.slice(b, q >= 0 && q < e ? q : e);
        return '';
      }
      case Field.Status: {
        const v = e - b === 3 ? digits(line, b, e) : -1;
        if (v < 100) return 'invalid status';
        ev.status = v;
        return '';
      }
      case Field.Bytes: {
        const v = e === b + 1 && line.charCodeAt(b) === 45 ? 0 : digits(line, b, e);
        if (v < 0) return 'invalid byte count';
        ev.bytes = v;
        return '';
      }
      case Field.UserAgent:
        if (e > b && !(e === b + 1 && line.charCodeAt(b) === 45)) ev.user_agent = line.slice(b, e);
        return '';
      case Field.Seconds: {
        const sec = e > b && line.charCodeAt(b) !== 45 ? Number(line.slice(b, e)) : NaN;
        if (sec >= 0 && Number.isFinite(sec)) ev.latency_ms = Math.round(sec * 1_000_000) / 1000;
        return '';
      }
      case Field.Micros: {
        const v = digits(line, b, e);
        if (v >= 0) ev.latency_ms = v / 1000;
        return '';
      }
    }
    return '';
  }

  /** The right-most untrusted address of an X-Forwarded-For list, given the trusted proxy that sent it. */
  private client(xff: string, proxy: string): string {
    let client = proxy;
    let end = xff.length;
    while (end > 0) {
      const comma = xff.lastIndexOf(',', end - 1);
      const ip = canonicalIp(xff.slice(comma + 1, end).trim());
      if (ip === null) break;
      client = ip;
      if (!this.proxies!.matches(ip)) break;
      end = comma < 0 ? 0 : comma;
    }
    return client;
  }
}

/** `METHOD target ...` → method and route (path without query); anything else sets neither. */
function request(line: string, b: number, e: number, ev: FbEvent): void {
  const m = line.indexOf(' ', b);
  if (m <= b || m >= e) return;
  let pe = line.indexOf(' ', m + 1);
  if (pe < 0 || pe > e) pe = e;
  const q = line.indexOf('?', m + 1);
  if (q >= 0 && q < pe) pe = q;
  if (pe > m + 1) {
    ev.method = line.slice(b, m);
    ev.route = line.slice(m + 1, pe);
  }
}

/** Decimal value of [b, e) (at most 15 digits), or -1. */
function digits(line: string, b: number, e: number): number {
  if (e <= b || e - b > 15) return -1;
  let v = 0;
  for (let i = b; i < e; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
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
