/**
 * The envelope of an sshd syslog line (docs/log-sources.md): the timestamp,
 * the host and the program tag, in every layout syslog daemons and journalctl
 * write, up to the message.
 *
 *   Mar  2 08:00:00 host sshd[42]: msg                 traditional (RFC 3164), in the source's time_zone
 *   <38>Mar  2 08:00:00 host sshd[42]: msg             RFC 3164 with <PRI>
 *   <38>1 2026-03-02T08:00:00.1+01:00 host sshd 42 - [sd] msg   RFC 5424
 *   2026-03-02T08:00:00.218229+00:00 host sshd[42]: msg         RFC 3339 (rsyslog), journalctl short-iso (+0100)
 *   2026-03-02T08:00:00 host sshd[42]: msg             ISO 8601 without offset: the source's time_zone
 *   Mon 2026-03-02 08:00:00 UTC host sshd[42]: msg     journalctl short-full (a zone other than UTC/GMT: time_zone)
 *   1772438400.123456 host sshd[42]: msg               journalctl short-unix
 *   Mar  2 08:00:00 host authpriv.info sshd[42]: msg   BusyBox (facility.level before the tag)
 *   Mar  2 08:00:00 sshd[42]: msg                      no host
 *   Mar  2 08:00:00 [sshd]: msg   /   [sshd] msg       bracketed tag
 *   … sshd[42]: [ID 800047 auth.info] msg              Solaris message id, skipped
 * Tags: `sshd`, `sshd-session` (OpenSSH 9.8+), with or without `[pid]`.
 *
 * Year inference for traditional timestamps: the year starts at `year`; a
 * timestamp more than six months before the previous traditional one of the
 * same file moves to the next year (Dec 31 → Jan 1).
 */
import type { SkipKind } from './index.ts';
import { TimeScan, addMonthsUs, at, indexIn, scanRfc3339, scanSyslogTime } from '../../domain/time.ts';
import { ZoneClock } from './time-zone.ts';

/** A head no line starts with (a NUL cannot start a timestamp). */
const NO_HEAD = '\u0000';
/** Tokens skipped between the timestamp and the tag (host, BusyBox facility.level, <pri.verbose>). */
const MAX_HEAD_TOKENS = 3;

/** Reads envelopes of one file: stateful (year inference, a one-entry cache of the last second). */
export class SyslogHeaderReader {
  /** After read() returned false. */
  skip: SkipKind = 'ignored';
  reason = '';
  /** After read() returned true. */
  tsUs = 0;
  /** Start of the message (after the tag and any Solaris id). */
  msg = 0;
  /** Identifies the process within the file: pid and a hash of the host (0 when absent). */
  pid = 0;
  hostHash = 0;

  private year: number;
  private prevUs = -Infinity;
  private readonly scan = new TimeScan();
  private lastHead = NO_HEAD;
  private lastHeadUs = 0;

  constructor(
    year: number,
    private readonly zone: ZoneClock,
  ) {
    this.year = year;
  }

  read(text: string, b: number, e: number): boolean {
    this.hostHash = 0;
    this.pid = 0;
    let c0 = b < e ? text.charCodeAt(b) : 10;
    if (c0 === 60) {
      // <PRI>: RFC 5424 when followed by the version `1 `, else RFC 3164.
      let i = b + 1;
      while (i < e && i < b + 5 && isDigit(text.charCodeAt(i))) i++;
      if (i === b + 1 || text.charCodeAt(i) !== 62) return this.no('unparseable', 'invalid syslog priority');
      b = i + 1;
      if (text.charCodeAt(b) === 49 && text.charCodeAt(b + 1) === 32) return this.rfc5424(text, b + 2, e);
      c0 = b < e ? text.charCodeAt(b) : 10;
    }
    if (!this.timestamp(text, b, e, c0)) return false;
    return this.tag(text, this.scan.end, e);
  }

  private timestamp(text: string, b: number, e: number, c0: number): boolean {
    const scan = this.scan;
    // Fixed-position scans may look past `e`: they fail on the line terminator, which no field accepts.
    if (c0 >= 48 && c0 <= 57) {
      if (text.charCodeAt(b + 4) === 45) {
        if (!scanRfc3339(text, b, scan, false)) return this.no('unparseable', 'invalid timestamp');
        this.tsUs = scan.zoned ? scan.us : this.zone.toUtc(scan.us);
        return true;
      }
      return this.unixTime(text, b, e);
    }
    if (c0 >= 65 && c0 <= 90) {
      if (text.charCodeAt(b + 3) === 32 && isDigit(text.charCodeAt(b + 4)) && text.charCodeAt(b + 8) === 45) return this.shortFull(text, b);
      return this.traditional(text, b, e);
    }
    if (isBlank(text, b, e)) return this.no('ignored', 'blank line');
    return this.no('unparseable', 'no syslog timestamp');
  }

  private traditional(text: string, b: number, e: number): boolean {
    const scan = this.scan;
    const head = this.lastHead;
    if (text.startsWith(head, b) && text.charCodeAt(b + head.length) === 32 && b + head.length < e) {
      // Same second as the previous traditional line: same value, no rollover possible.
      this.tsUs = this.lastHeadUs;
      scan.end = b + head.length;
      return true;
    }
    if (!scanSyslogTime(text, b, this.year, scan)) return this.no('unparseable', 'invalid timestamp');
    let local = scan.us;
    if (local < this.prevUs && local < addMonthsUs(this.prevUs, -6)) {
      this.year++;
      if (!scanSyslogTime(text, b, this.year, scan)) return this.no('unparseable', 'invalid timestamp');
      local = scan.us;
    }
    this.prevUs = local;
    this.tsUs = this.zone.toUtc(local);
    // Cache only a whole-second head.
    this.lastHead = text.charCodeAt(scan.end - 3) === 58 ? text.slice(b, scan.end) : NO_HEAD;
    this.lastHeadUs = this.tsUs;
    return true;
  }

  /** journalctl short-full: `Mon 2026-03-02 08:00:00 UTC` (or `CET` …: the source's zone). */
  private shortFull(text: string, b: number): boolean {
    const scan = this.scan;
    if (!scanRfc3339(text, b + 4, scan, false) || scan.zoned || text.charCodeAt(scan.end) !== 32)
      return this.no('unparseable', 'invalid timestamp');
    let z = scan.end + 1;
    const zs = z;
    while (z < zs + 6 && isUpperOrDigitSign(text.charCodeAt(z))) z++;
    if (z === zs) return this.no('unparseable', 'invalid timestamp');
    const utc = at(text, 'UTC', zs) || at(text, 'GMT', zs);
    this.tsUs = utc ? scan.us : this.zone.toUtc(scan.us);
    scan.end = z;
    return true;
  }

  /** journalctl short-unix: `1772438400.123456`. */
  private unixTime(text: string, b: number, e: number): boolean {
    let i = b;
    let sec = 0;
    while (i < e && i < b + 12 && isDigit(text.charCodeAt(i))) sec = sec * 10 + text.charCodeAt(i++) - 48;
    let us = 0;
    if (text.charCodeAt(i) === 46) {
      let scale = 100_000;
      const f = ++i;
      while (i < e && i < f + 9 && isDigit(text.charCodeAt(i))) {
        us += (text.charCodeAt(i++) - 48) * scale;
        scale /= 10;
      }
      us = Math.floor(us);
    }
    if (i === b || text.charCodeAt(i) !== 32) return this.no('unparseable', 'no syslog timestamp');
    this.tsUs = sec * 1_000_000 + us;
    this.scan.end = i;
    return true;
  }

  /** `<host> [facility.level] <tag>` after the timestamp (at the space at `p`). */
  private tag(text: string, p: number, e: number): boolean {
    for (let n = 0; n <= MAX_HEAD_TOKENS; n++) {
      if (p >= e || text.charCodeAt(p) !== 32) return this.no('unparseable', 'invalid syslog header');
      while (text.charCodeAt(p) === 32 && p < e) p++;
      let sp = p;
      while (sp < e && text.charCodeAt(sp) !== 32) sp++;
      const m = sshdTag(text, p, sp);
      if (m > 0) {
        this.pid = tagPid;
        return this.startMessage(text, m, e);
      }
      if (text.charCodeAt(sp - 1) === 58) return this.no('ignored', 'other program');
      if (n === 0) this.hostHash = hashOf(text, p, sp);
      p = sp;
    }
    return this.no('ignored', 'no program name');
  }

  private rfc5424(text: string, b: number, e: number): boolean {
    const scan = this.scan;
    if (!scanRfc3339(text, b, scan, false)) return this.no('unparseable', 'invalid timestamp');
    this.tsUs = scan.zoned ? scan.us : this.zone.toUtc(scan.us);
    let p = scan.end + 1;
    let sp = indexIn(text, ' ', p, e);
    if (text.charCodeAt(scan.end) !== 32 || sp < 0) return this.no('unparseable', 'invalid syslog header');
    this.hostHash = hashOf(text, p, sp);
    p = sp + 1;
    sp = indexIn(text, ' ', p, e);
    if (sp < 0) return this.no('unparseable', 'invalid syslog header');
    const app = sp - p;
    if (!((app === 4 && at(text, 'sshd', p)) || (app === 12 && at(text, 'sshd-session', p)))) return this.no('ignored', 'other program');
    // PROCID MSGID STRUCTURED-DATA
    p = sp + 1;
    let pid = 0;
    for (; isDigit(text.charCodeAt(p)) && p < e; p++) pid = pid * 10 + text.charCodeAt(p) - 48;
    if (text.charCodeAt(p) === 45) p++;
    sp = indexIn(text, ' ', p, e);
    if (sp !== p) return this.no('unparseable', 'invalid syslog header');
    this.pid = pid;
    sp = indexIn(text, ' ', sp + 1, e);
    if (sp < 0) return this.no('unparseable', 'invalid syslog header');
    p = sp + 1;
    if (text.charCodeAt(p) === 45) p++;
    else {
      while (text.charCodeAt(p) === 91 && p < e) p = endOfSdElement(text, p + 1, e);
      if (p < 0) return this.no('unparseable', 'invalid structured data');
    }
    if (text.charCodeAt(p) !== 32) return this.no('unparseable', 'invalid syslog header');
    return this.startMessage(text, p, e);
  }

  /** At the space before the message; skips a kernel time (`kernel:[  970.699396]:`) and a Solaris `[ID n facility.level]`. */
  private startMessage(text: string, m: number, e: number): boolean {
    while (text.charCodeAt(m) === 32 && m < e) m++;
    if (at(text, 'kernel:', m)) {
      let k = m + 7;
      if (text.charCodeAt(k) === 32) k++;
      const close = text.charCodeAt(k) === 91 ? indexIn(text, ']', k, e) : -1;
      if (close > 0 && close < e && close - k < 24) {
        m = close + 1;
        if (text.charCodeAt(m) === 58) m++;
        while (text.charCodeAt(m) === 32 && m < e) m++;
      }
    }
    if (at(text, '[ID ', m)) {
      const close = indexIn(text, '] ', m, e);
      if (close > 0 && close < e && close - m < 40) m = close + 2;
    }
    this.msg = m;
    return true;
  }

  private no(kind: SkipKind, reason: string): false {
    this.skip = kind;
    this.reason = reason;
    return false;
  }
}

/** After `[`: the index after the matching `]` of an SD-ELEMENT (quoted values may hold `]`), or -1. */
function endOfSdElement(text: string, i: number, e: number): number {
  let quoted = false;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 92) i++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 93) return i + 1;
  }
  return -1;
}

/** The pid of the last tag sshdTag accepted (0 without `[pid]`). */
let tagPid = 0;

/**
 * When the token [p, sp) is an sshd tag (`sshd[42]:`, `sshd:`, `sshd-session[42]:`, `[sshd]:`, `[sshd]`,
 * `sshd[42]`), the index just after it (at the space before the message) with its pid in `tagPid`,
 * else 0. Compares characters inline: this runs for every token of every line.
 */
function sshdTag(text: string, p: number, sp: number): number {
  let i = p;
  const bracketed = text.charCodeAt(i) === 91;
  if (bracketed) i++;
  if (text.charCodeAt(i) !== 115 || text.charCodeAt(i + 1) !== 115 || text.charCodeAt(i + 2) !== 104 || text.charCodeAt(i + 3) !== 100)
    return 0;
  i += 4;
  if (text.charCodeAt(i) === 45 && at(text, '-session', i)) i += 8;
  let pid = 0;
  if (bracketed) {
    if (text.charCodeAt(i) !== 93) return 0;
    i++;
  } else if (text.charCodeAt(i) === 91) {
    let k = i + 1;
    for (let c = text.charCodeAt(k); c >= 48 && c <= 57 && k < sp; c = text.charCodeAt(++k)) pid = pid * 10 + c - 48;
    if (text.charCodeAt(k) !== 93 || k >= sp) return 0;
    i = k + 1;
  }
  if (text.charCodeAt(i) === 58) i++;
  if (i !== sp) return 0;
  tagPid = pid > 0x3fffffff ? 0 : pid;
  return sp;
}

/** A cheap hash of a host name (length and a few characters): only tells the hosts of one file apart. */
function hashOf(text: string, b: number, e: number): number {
  const n = e - b;
  if (n <= 0) return 0;
  return (n * 31 + text.charCodeAt(b) * 7 + text.charCodeAt(e - 1) * 3 + text.charCodeAt(b + (n >> 1))) & 0xfffff;
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

function isUpperOrDigitSign(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45;
}
