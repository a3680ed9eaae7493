/**
 * The part of reading an sshd line that needs no per-process state: the
 * envelope (timestamp, host, tag, through syslog-header.ts), rsyslog's
 * `message repeated N times: [ … ]`, the message's classification
 * (sshd-messages.ts). sshd.ts applies the per-process state to what this
 * finds.
 *
 * Kept apart so that replay can run it on a worker thread, a line ahead of
 * the thread that keeps the state and runs the rules: the scan is most of a
 * line's cost, and its result is a few numbers (sshd-scan-codec.ts carries
 * them between threads). The header's year inference is sequential, so one
 * scanner reads one file from its start, in order.
 */
import { at } from '../../domain/time.ts';
import type { ParserOptions, SkipKind } from './index.ts';
import { SshdMatch, classify, modeBits } from './sshd-messages.ts';
import { SyslogHeaderReader } from './syslog-header.ts';
import { ZoneClock } from './time-zone.ts';

/** Largest `message repeated N times` honoured; the rest is `clamped`. */
export const MAX_REPEAT = 100;
/** A larger count is no syslog daemon's: the line is skipped as unparseable. */
export const MAX_PLAUSIBLE_REPEAT = 1_000_000;

/** A Smi key for a process: 22 bits of pid, 7 bits of a hash of the host name. */
export function procKey(pid: number, hostHash: number): number {
  return (pid & 0x3fffff) | ((hostHash & 0x7f) << 22);
}

/** `Connection closed `, `Connection reset `, `Disconnected ` at `m`. */
function isCloseHelper(text: string, m: number): boolean {
  const c = text.charCodeAt(m);
  if (c === 67) return at(text, 'Connection closed ', m) || at(text, 'Connection reset ', m);
  return c === 68 && at(text, 'Disconnected ', m);
}

/** What the scan found in one line; reused from line to line (no allocation). */
export class SshdScan {
  /** False: the line makes no event whatever the state (`skip`, `reason` say why). */
  ok = false;
  skip: SkipKind = 'ignored';
  reason = '';
  /** The message [m, end) of the line's text. */
  m = 0;
  end = 0;
  tsUs = 0;
  /** The sshd process (procKey). */
  key = 0;
  /** Occurrences the line stands for (`message repeated`), capped, and the excess. */
  repeat = 1;
  clamped = 0;
  /** A connection close/reset/disconnect: in normal mode it matters only to a process with state. */
  close = false;
  /** `match` holds the message's classification (else the state's owner classifies when it needs to). */
  classified = false;
  /**
   * The match's address is written canonically (IPv4 or IPv6), so the state's owner takes it as written
   * (checked by the scan worker; else false).
   */
  canonical = false;
  readonly match = new SshdMatch();
}

/** Scans the lines of one sshd log, in order. */
export class SshdScanner {
  private readonly bits: number;
  private readonly head: SyslogHeaderReader;

  constructor(opts: ParserOptions = {}) {
    const year = opts.year ?? (opts.now ? opts.now() : new Date()).getUTCFullYear();
    this.head = new SyslogHeaderReader(year, new ZoneClock(opts.timeZone ?? 'UTC'));
    this.bits = modeBits(opts.mode ?? 'normal');
  }

  /**
   * Scans the line [b, e) of `text` into `s`. A close helper is left unclassified, for the state's owner
   * to skip cheaply when the process has no state (the usual case). `classify` false leaves every
   * message to the state's owner (a worker ahead of it hands it work, so both threads stay busy).
   */
  scan(text: string, b: number, e: number, s: SshdScan, classify = true): void {
    s.repeat = 1;
    s.clamped = 0;
    // The line is read in place in the chunk, [b, e): no substring per line, and charCodeAt on the flat
    // chunk is cheaper than on a sliced string. Every search stops at the line's end (indexIn, tokenEnd…),
    // so a hostile line still costs its own length, no more.
    const h = this.head;
    if (!h.read(text, b, e)) return no(s, h.skip, h.reason);
    let m = h.msg;
    let end = e;
    if (at(text, 'message repeated ', m)) {
      const inner = repeated(text, m + 17, e, s);
      if (inner < 0)
        return inner === NOT_REPEATED ? no(s, 'ignored', 'other sshd message') : no(s, 'unparseable', 'implausible repeat count');
      m = inner;
      end = text.charCodeAt(e - 1) === 93 ? e - 1 : e;
    }
    this.message(text, m, end, h.tsUs, procKey(h.pid, h.hostHash), s);
    if (classify && !s.close) this.classify(text, s);
  }

  /**
   * The message [m, end) of process `key` at `tsUs` into `s`, unclassified (its envelope read already: by
   * `scan`, or from the journal's fields); `repeat` and `clamped` are left as they are.
   */
  message(text: string, m: number, end: number, tsUs: number, key: number, s: SshdScan): void {
    s.ok = true;
    s.m = m;
    s.end = end;
    s.tsUs = tsUs;
    s.key = key;
    s.close = this.bits === 0 && isCloseHelper(text, m);
    s.classified = false;
    s.canonical = false;
  }

  /** Classifies the message of `s`. */
  classify(text: string, s: SshdScan): void {
    classify(text, s.m, s.end, this.bits, s.match);
    s.classified = true;
  }
}

const NOT_REPEATED = -1;
const IMPLAUSIBLE = -2;

/**
 * `N times: [ ` at `from`: sets `repeat`/`clamped` of `s` and returns where the inner message starts;
 * NOT_REPEATED when not such a line, IMPLAUSIBLE for a count no syslog daemon writes.
 */
function repeated(text: string, from: number, e: number, s: SshdScan): number {
  let n = 0;
  let i = from;
  for (; i < e && i < from + 8 && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57; i++) n = n * 10 + text.charCodeAt(i) - 48;
  if (i === from || n < 1) return NOT_REPEATED;
  if (n > MAX_PLAUSIBLE_REPEAT || (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57)) return IMPLAUSIBLE;
  if (!at(text, ' times: [ ', i)) return NOT_REPEATED;
  s.repeat = n > MAX_REPEAT ? MAX_REPEAT : n;
  s.clamped = n > MAX_REPEAT ? n - MAX_REPEAT : 0;
  return i + 10;
}

function no(s: SshdScan, kind: SkipKind, reason: string): void {
  s.ok = false;
  s.skip = kind;
  s.reason = reason;
  s.repeat = 1;
  s.clamped = 0;
}
