/**
 * nginx error log (docs/log-sources.md "nginx-error"), two messages:
 *
 *   2026/03/02 08:00:00 [error] 1234#1234: *5 user "bob": password mismatch, client: 203.0.113.5, server: x, request: "GET / HTTP/1.1", host: "x"
 *   2026/03/02 08:00:00 [error] 1234#1234: *5 user "bob" was not found in "/etc/nginx/.htpasswd", client: 203.0.113.5, server: …
 *     → auth.login_failed { ip, user_id }  (HTTP basic authentication)
 *   2026/03/02 08:00:00 [error] 1234#1234: *7 limiting requests, excess: 10.500 by zone "one", client: 203.0.113.5, server: …
 *     → http.rate_limited { ip, route }    (a limit_req rejection; `delaying request` warnings are not rejections)
 *
 * The time is the server's local time: the source's `time_zone` (UTC by default).
 * The user name, the request line and the Host header are the client's text and
 * may hold `, client: <ip>, server: `. The client address is nginx's only where
 * it follows the message's fixed words; for the basic-auth messages (client
 * text on both sides of it) the line counts only when exactly one position
 * fits, else it is skipped as `ambiguous address`. For `limiting requests`
 * nothing before the address is the client's: the first position is nginx's.
 * Every other line is `ignored`; a line without the error-log header is `unparseable`.
 */
import type { FbEvent } from '../../domain/event.ts';
import { canonicalIp } from '../../domain/ip.ts';
import { BaseLineParser } from './base-parser.ts';
import { civilToUs, digitsAt } from '../../domain/time.ts';
import { ZoneClock } from './time-zone.ts';

const CLIENT = ', client: ';
const MISMATCH = '": password mismatch';
const NOT_FOUND = '" was not found in "';

/** Parser for one nginx error log. */
export class NginxErrorParser extends BaseLineParser {
  private readonly zone: ZoneClock;

  constructor(opts: { timeZone?: string } = {}) {
    super();
    this.zone = new ZoneClock(opts.timeZone ?? 'UTC');
  }

  parse(line: string): FbEvent | null {
    if (line.trim() === '') return this.no('ignored', 'blank line');
    // YYYY/MM/DD HH:MM:SS [level] pid#tid: [*cid ]message
    const y = digitsAt(line, 0, 4);
    const mo = digitsAt(line, 5, 2);
    const d = digitsAt(line, 8, 2);
    const h = digitsAt(line, 11, 2);
    const mi = digitsAt(line, 14, 2);
    const s = digitsAt(line, 17, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || line[4] !== '/' || line[7] !== '/' || line[13] !== ':' || line[16] !== ':')
      return this.no('unparseable', 'no error log timestamp');
    const local = civilToUs(y, mo, d, h, mi, s, 0);
    if (local !== local || line.charCodeAt(19) !== 32 || line.charCodeAt(20) !== 91) return this.no('unparseable', 'invalid timestamp');
    const tsUs = this.zone.toUtc(local);
    const colon = line.indexOf(': ', 21);
    if (colon < 0) return this.no('unparseable', 'invalid error log header');
    let m = colon + 2;
    if (line.charCodeAt(m) === 42) {
      const sp = line.indexOf(' ', m);
      if (sp < 0) return this.no('ignored', 'other message');
      m = sp + 1;
    }
    if (line.startsWith('user "', m)) return this.basicAuth(line, m + 6, tsUs);
    if (line.startsWith('limiting requests, ', m)) {
      const c = line.indexOf(CLIENT, m);
      const ip = c < 0 ? null : this.clientAt(line, c);
      if (ip === null) return this.no('unparseable', 'invalid address');
      return { type: 'http.rate_limited', tsUs, ip, route: route(line, c) };
    }
    return this.no('ignored', 'other message');
  }

  private basicAuth(line: string, u: number, tsUs: number): FbEvent | null {
    let found = -1;
    let count = 0;
    for (let c = line.indexOf(CLIENT, u); c >= 0 && count < 2; c = line.indexOf(CLIENT, c + 1)) {
      // `…": password mismatch, client:` or `…" was not found in "<file>", client:` (the file's opening quote
      // is the last one before its closing quote, and ends the fixed words).
      const open = line.charCodeAt(c - 1) === 34 ? line.lastIndexOf('"', c - 2) : -1;
      const ok = line.endsWith(MISMATCH, c) || (open > u && line.endsWith(NOT_FOUND, open + 1));
      if (!ok || this.clientAt(line, c) === null) continue;
      if (count++ === 0) found = c;
    }
    if (count === 0) return this.no('ignored', 'other message');
    if (count > 1) return this.no('unparseable', 'ambiguous address');
    const ip = this.clientAt(line, found)!;
    const userEnd = line.endsWith(MISMATCH, found) ? found - MISMATCH.length : line.lastIndexOf(NOT_FOUND, found);
    return { type: 'auth.login_failed', tsUs, ip, user_id: userEnd > u ? line.slice(u, userEnd) : undefined, route: route(line, found) };
  }

  /** The address after `, client: ` at `c`, when followed by `, server: ` or the end; else null. */
  private clientAt(line: string, c: number): string | null {
    const a = c + CLIENT.length;
    let e = line.indexOf(',', a);
    if (e < 0) e = line.length;
    else if (!line.startsWith(', server: ', e)) return null;
    return canonicalIp(line.slice(a, e));
  }
}

/** The path of `request: "METHOD /path?q HTTP/1.1"` after `c`, if any. */
function route(line: string, c: number): string | undefined {
  const r = line.indexOf(', request: "', c);
  if (r < 0) return undefined;
  const sp = line.indexOf(' ', r + 12);
  if (sp < 0) return undefined;
  let e = line.indexOf(' ', sp + 1);
  const q = line.indexOf('?', sp + 1);
  if (e < 0) e = line.length;
  if (q >= 0 && q < e) e = q;
  return e > sp + 1 ? line.slice(sp + 1, e) : undefined;
}
