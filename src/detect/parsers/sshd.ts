/**
 * OpenSSH server lines from syslog (docs/design.md "Log formats", sshd):
 *
 *   <time> <host> sshd[<pid>]: <message>          (also `sshd:` and `sshd-session[<pid>]:`)
 *   <time> is RFC 3339 (`2026-03-02T08:00:00.218229+00:00`) or traditional
 *   (`Mar  2 08:00:00`, UTC, year inferred; see below).
 *
 * Messages that make events:
 *   Failed <method> for [invalid user ]<user> from <ip> port <n> ...  → auth.login_failed (method ≠ publickey)
 *   Invalid user <user> from <ip>[ port <n>] ...                      → auth.login_failed (user may be empty)
 *   Accepted <method> for <user> from <ip> port <n> ...               → auth.login_succeeded
 *   message repeated N times: [ <one of the above>]                   → that event, `repeat` = N
 * rsyslog writes `message repeated N times` for N more identical messages
 * (same client port: several passwords tried over one connection), so the
 * line stands for N attempts; ignoring it would let an attacker stay under
 * the threshold. Classic syslogd's `last message repeated N times` names no
 * program and is ignored.
 * Every other line with a valid header is `ignored` (other programs,
 * pam_unix, Connection closed, Disconnected, Failed publickey, ...).
 * `unparseable`: no valid header or timestamp, or one of the messages above
 * without a valid address/port.
 *
 * The address is the token after the LAST ` from ` of the message: the user
 * name comes first and is attacker-chosen (`Invalid user x from 1.1.1.1 ...`),
 * the tail is written by sshd. Addresses are canonicalized (IPv6: RFC 5952).
 *
 * Year inference (traditional timestamps): the year starts at `opts.year`
 * (default: the current UTC year); a timestamp more than six calendar months
 * before the previous traditional timestamp of the same file moves to the
 * next year (Dec 31 → Jan 1). Every line whose traditional timestamp parses
 * counts as "previous", ignored ones (other programs) included.
 */
import type { FbEvent } from '../../domain/event.ts';
import { canonicalIp } from '../../domain/ip.ts';
import { detach } from '../../domain/rules/key-window.ts';
import type { ParserOptions } from './index.ts';
import { BaseLineParser } from './base-parser.ts';
import { TimeScan, addMonthsUs, scanRfc3339, scanSyslogTime } from './time.ts';

const FAILED = 'auth.login_failed';
const SUCCEEDED = 'auth.login_succeeded';
/** A head no line starts with (a NUL cannot start a timestamp). */
const NO_HEAD = '\u0000';
const V6_CACHE_SIZE = 4096;

/** Parser for one sshd log file. Stateful (year inference). */
export class SshdParser extends BaseLineParser {
  private year: number;
  private prevUs = -Infinity;
  private readonly scan = new TimeScan();
  /** The last traditional timestamp text without fraction (`Mar  2 08:00:00`) and its value: busy logs repeat it. */
  private lastHead = NO_HEAD;
  private lastHeadUs = 0;
  private readonly v6Cache = new Map<string, string>();

  constructor(opts: ParserOptions = {}) {
    super();
    this.year = opts.year ?? (opts.now ? opts.now() : new Date()).getUTCFullYear();
  }

  parse(line: string): FbEvent | null {
    return this.parseRange(line, 0, line.length);
  }

  parseRange(text: string, b: number, e: number): FbEvent | null {
    this.repeat = 1;
    const scan = this.scan;
    const c0 = b < e ? text.charCodeAt(b) : 10;
    let tsUs: number;
    // Fixed-position scans may look past `e`: they fail on the line terminator, which no field accepts.
    if (c0 >= 48 && c0 <= 57) {
      if (!scanRfc3339(text, b, scan, true)) return this.no('unparseable', 'invalid timestamp');
      tsUs = scan.us;
    } else if (c0 >= 65 && c0 <= 90) {
      const head = this.lastHead;
      if (text.startsWith(head, b) && text.charCodeAt(b + head.length) === 32 && b + head.length < e) {
        // Same second as the previous traditional line: same value, no rollover possible.
        tsUs = this.lastHeadUs;
        scan.end = b + head.length;
      } else {
        if (!scanSyslogTime(text, b, this.year, scan)) return this.no('unparseable', 'invalid timestamp');
        tsUs = scan.us;
        if (tsUs < this.prevUs && tsUs < addMonthsUs(this.prevUs, -6)) {
          this.year++;
          if (!scanSyslogTime(text, b, this.year, scan)) return this.no('unparseable', 'invalid timestamp');
          tsUs = scan.us;
        }
        // Cache only a whole-second head, and only as "the previous traditional line".
        const whole = text.charCodeAt(scan.end - 3) === 58;
        this.lastHead = whole ? text.slice(b, scan.end) : NO_HEAD;
        this.lastHeadUs = tsUs;
      }
      this.prevUs = tsUs;
    } else if (isBlank(text, b, e)) {
      return this.no('ignored', 'blank line');
    } else return this.no('unparseable', 'no syslog timestamp');

    // <host> <program>: or, without a host, <program>:
    let p = scan.end;
    if (p >= e || text.charCodeAt(p) !== 32) return this.no('unparseable', 'invalid syslog header');
    p++;
    let sp = text.indexOf(' ', p);
    if (sp < 0 || sp > e) sp = e;
    if (text.charCodeAt(sp - 1) !== 58) {
      p = sp + 1;
      sp = text.indexOf(' ', p);
      if (sp < 0 || sp > e) sp = e;
      if (p >= e || text.charCodeAt(sp - 1) !== 58) return this.no('ignored', 'no program name');
    }
    if (!isSshdProgram(text, p)) return this.no('ignored', 'other program');
    return this.message(text, sp + 1, e, tsUs, false);
  }

  private message(text: string, m: number, end: number, tsUs: number, nested: boolean): FbEvent | null {
    switch (m < end ? text.charCodeAt(m) : 0) {
      case 70: // F
        if (text.startsWith('Failed ', m)) return this.failed(text, m + 7, end, tsUs);
        break;
      case 73: // I
        if (text.startsWith('Invalid user ', m)) return this.fromClause(text, m + 13, end, false, FAILED, tsUs);
        break;
      case 65: // A
        if (text.startsWith('Accepted ', m)) {
          const sp = text.indexOf(' ', m + 9);
          if (sp < 0 || sp >= end || !text.startsWith(' for ', sp)) return this.no('unparseable', 'malformed Accepted line');
          return this.fromClause(text, sp + 5, end, true, SUCCEEDED, tsUs);
        }
        break;
      case 109: // m
        if (!nested && text.startsWith('message repeated ', m)) return this.repeated(text, m + 17, end, tsUs);
        break;
    }
    return this.no('ignored', 'other sshd message');
  }

  private failed(text: string, at: number, end: number, tsUs: number): FbEvent | null {
    const sp = text.indexOf(' ', at);
    if (sp < 0 || sp >= end || !text.startsWith(' for ', sp)) return this.no('unparseable', 'malformed Failed line');
    if (sp - at === 9 && text.startsWith('publickey', at)) return this.no('ignored', 'failed publickey');
    let u = sp + 5;
    if (text.startsWith('invalid user ', u)) u += 13;
    return this.fromClause(text, u, end, true, FAILED, tsUs);
  }

  /** `<user> from <ip>[ port <n>]...` with the user starting at `u` and the message ending at `end`. */
  private fromClause(text: string, u: number, end: number, needPort: boolean, type: string, tsUs: number): FbEvent | null {
    const f = text.lastIndexOf(' from ', end - 6);
    if (f < u - 1) return this.no('unparseable', 'no source address');
    const a = f + 6;
    let e = text.indexOf(' ', a);
    if (e < 0 || e > end) e = end;
    if (needPort && !(e < end && text.startsWith(' port ', e) && isDigit(text.charCodeAt(e + 6))))
      return this.no('unparseable', 'no source port');
    const ip = this.address(text.slice(a, e));
    if (ip === null) return this.no('unparseable', 'invalid address');
    const user = f > u ? text.slice(u, f) : undefined;
    return { type, tsUs, ip, user_id: user };
  }

  /** Canonical address; IPv6 results are cached (attackers repeat, and RFC 5952 text costs a rebuild). */
  private address(raw: string): string | null {
    if (raw.indexOf(':') < 0) return canonicalIp(raw);
    const hit = this.v6Cache.get(raw);
    if (hit !== undefined) return hit;
    const ip = canonicalIp(raw);
    if (ip !== null) {
      if (this.v6Cache.size >= V6_CACHE_SIZE) this.v6Cache.clear();
      this.v6Cache.set(detach(raw), detach(ip)); // `raw` is a slice of a big read chunk: do not pin it
    }
    return ip;
  }

  /** `message repeated N times: [ <message>]` (rsyslog): N occurrences of the message. */
  private repeated(text: string, at: number, end: number, tsUs: number): FbEvent | null {
    let n = 0;
    let i = at;
    for (; isDigit(text.charCodeAt(i)); i++) n = n * 10 + text.charCodeAt(i) - 48;
    if (i === at || !text.startsWith(' times: [ ', i) || n < 1) return this.no('ignored', 'other sshd message');
    const inner = text.charCodeAt(end - 1) === 93 ? end - 1 : end;
    const ev = this.message(text, i + 10, inner, tsUs, true);
    if (ev !== null) this.repeat = n;
    return ev;
  }
}

function isBlank(text: string, b: number, e: number): boolean {
  for (let i = b; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `sshd[`, `sshd:`, `sshd-session[` or `sshd-session:` at `p`. */
function isSshdProgram(line: string, p: number): boolean {
  if (!line.startsWith('sshd', p)) return false;
  let c = line.charCodeAt(p + 4);
  if (c === 91 || c === 58) return true;
  if (!line.startsWith('-session', p + 4)) return false;
  c = line.charCodeAt(p + 12);
  return c === 91 || c === 58;
}
