/**
 * OpenSSH server lines (docs/log-sources.md "sshd"), at parity with
 * fail2ban's stock `sshd` filter in its four modes, multi-line cases
 * included. sshd-scan.ts reads the envelope (timestamp, host, tag) and
 * classifies the message (sshd-messages.ts); this file keeps the state per
 * sshd process and decides what a line counts as.
 *
 * Events: failures → `auth.login_failed` { ip, user_id }; `Accepted …` →
 * `auth.login_succeeded`. rsyslog's `message repeated N times: [ <msg>]`
 * stands for N occurrences (`repeat`), capped at MAX_REPEAT: the excess is
 * reported in `clamped` (counted by replay and the file source), so one
 * hostile line cannot make the engine loop for long.
 *
 * Multi-line state, per sshd process (host + pid), as fail2ban's "mlfid":
 * helper lines (`Connection from <ip>`, `Failed publickey` for a valid user,
 * `pam_unix(sshd:auth): authentication failure`, `Received disconnect … 11:`,
 * `Connection closed by <ip>` in normal mode) only remember the address and
 * user names; a failure without an address (`Disconnecting: Too many
 * authentication failures`, `User x not allowed because account is locked`,
 * ddos mode's `kex_exchange_identification: …`) takes the remembered address,
 * or waits for the next line of the process that names one. Attempts on a
 * second user name within one connection turn helpers into failures (an
 * `Accepted` after them then also yields a failure, in `also`). The state is
 * bounded (MAX_PROCS processes, the oldest dropped) and expires after
 * STATE_TTL_US of log time; `Accepted`, disconnects and closes end it.
 */
import type { FbEvent } from '../../domain/event.ts';
import { canonicalIp, canonicalV6At } from '../../domain/ip.ts';
import { detach } from '../../domain/rules/key-window.ts';
import type { ParserOptions } from './index.ts';
import { BaseLineParser } from './base-parser.ts';
import { FAIL, NOFAIL } from './sshd-messages.ts';
import { SshdScan, SshdScanner } from './sshd-scan.ts';

export { MAX_PLAUSIBLE_REPEAT, MAX_REPEAT, procKey } from './sshd-scan.ts';

const FAILED = 'auth.login_failed';
const SUCCEEDED = 'auth.login_succeeded';
const V6_CACHE_SIZE = 4096;
/** Processes whose state is kept. */
export const MAX_PROCS = 4096;
/** State of a process unused for this long (log time) is forgotten. */
export const STATE_TTL_US = 10 * 60 * 1_000_000;

/** What is remembered of one sshd process. */
interface Proc {
  ip: string | null;
  user: string | null;
  /** More than one user name was tried. */
  multi: boolean;
  /** A failure waits for the address. */
  pending: boolean;
  lastUs: number;
}

/** Slots of ProcTable's filter (a power of two). */
const FILTER_SLOTS = 1 << 16;

/**
 * Process state, bounded to MAX_PROCS in two generations: when the current one is half full it becomes
 * the old one and the previous old one is dropped (an entry used again moves to the current one).
 * No iteration: V8 Map iteration from the start is slow after many deletes.
 *
 * Most lines come from a process with no state (a failure that names its address, a close), so a
 * lookup first asks a filter: per slot of the key's low bits, the latest generation that stored a key
 * there. A slot last stored to before the old generation holds no key of either Map, which answers
 * "none" without two Map lookups (profiled: Map lookups were a tenth of replay's CPU). A deleted key
 * leaves its stamp: those lookups just go on to the Maps.
 */
class ProcTable {
  private cur = new Map<number, Proc>();
  private old = new Map<number, Proc>();
  /** Generation of `cur`; `old` is the one before. Starts at 2: a zero stamp is older than both. */
  private gen = 2;
  private readonly stamps = new Int32Array(FILTER_SLOTS);

  get(k: number): Proc | undefined {
    if (this.stamps[k & (FILTER_SLOTS - 1)]! < this.gen - 1) return undefined;
    const p = this.cur.get(k);
    if (p !== undefined) return p;
    const q = this.old.get(k);
    if (q !== undefined) {
      this.old.delete(k);
      this.put(k, q);
    }
    return q;
  }

  put(k: number, p: Proc): void {
    if (this.cur.size >= MAX_PROCS / 2) {
      this.old = this.cur;
      this.cur = new Map();
      this.gen++;
    }
    this.cur.set(k, p);
    this.stamps[k & (FILTER_SLOTS - 1)] = this.gen;
  }

  has(k: number): boolean {
    if (this.stamps[k & (FILTER_SLOTS - 1)]! < this.gen - 1) return false;
    return this.cur.has(k) || this.old.has(k);
  }

  delete(k: number): void {
    this.cur.delete(k);
    this.old.delete(k);
  }
}

/** Parser for one sshd log. Stateful (year inference, per-process state). */
export class SshdParser extends BaseLineParser {
  private readonly scanner: SshdScanner;
  private readonly scanned = new SshdScan();
  private readonly procs = new ProcTable();
  private readonly v6Cache = new Map<string, string>();

  constructor(opts: ParserOptions = {}) {
    super();
    this.scanner = new SshdScanner(opts);
  }

  parse(line: string): FbEvent | null {
    return this.parseRange(line, 0, line.length);
  }

  parseRange(chunk: string, b: number, e: number): FbEvent | null {
    const s = this.scanned;
    this.scanner.scan(chunk, b, e, s);
    return this.apply(chunk, s);
  }

  /**
   * The event of a scanned line (sshd-scan.ts), with this parser's per-process state: the second half
   * of parseRange, which replay runs apart from the scan, on the line's text as scanned.
   */
  apply(text: string, s: SshdScan): FbEvent | null {
    this.also = null;
    if (!s.ok) {
      this.repeat = 1;
      this.clamped = 0;
      return this.no(s.skip, s.reason);
    }
    this.repeat = s.repeat;
    this.clamped = s.clamped;
    const ev = this.decide(text, s);
    if (ev === null) {
      this.repeat = 1;
      this.clamped = 0;
    }
    return ev;
  }

  /**
   * The message [m, end) of one sshd process (`key` identifies it within the source), logged at `tsUs`.
   * The journald source calls this directly with the journal's fields.
   */
  message(text: string, m: number, end: number, tsUs: number, key: number): FbEvent | null {
    const s = this.scanned;
    s.repeat = 1;
    s.clamped = 0;
    this.scanner.message(text, m, end, tsUs, key, s);
    this.repeat = 1;
    this.clamped = 0;
    this.also = null;
    return this.decide(text, s);
  }

  private decide(text: string, s: SshdScan): FbEvent | null {
    const key = s.key;
    const tsUs = s.tsUs;
    // Fast path: in normal mode a closed or reset connection only matters to a process with state.
    if (s.close && !this.procs.has(key)) return this.no('ignored', 'not a failure');
    if (!s.classified) {
      this.scanner.classify(text, s);
      s.canonical = false; // said of the match before this classification
    }
    const r = s.match;
    if (r.kind === 0) {
      return r.bad ? this.no('unparseable', r.bad) : this.no('ignored', 'other sshd message');
    }
    let ip: string | null = null;
    if (r.a >= 0) {
      ip = s.canonical ? text.slice(r.a, r.ae) : this.address(text.slice(r.a, r.ae));
      if (ip === null && r.kind === FAIL) return this.no('unparseable', 'invalid address');
    }
    const user = r.ue > r.u ? text.slice(r.u, r.ue) : undefined;
    let fail = r.kind === FAIL;

    // Per-process state (fail2ban's _mergeFailure, without its match lists).
    let p = this.procs.get(key);
    if (p !== undefined && tsUs - p.lastUs > STATE_TTL_US) {
      this.procs.delete(key);
      p = undefined;
    }
    if (p !== undefined) {
      if (user !== undefined) this.addUser(p, user);
      if (r.gained) p.pending = false;
      if (ip !== null && ip !== p.ip) p.ip = detach(ip);
      p.lastUs = tsUs;
      if (r.forget) this.procs.delete(key);
    } else if (!r.forget && !(fail && ip !== null)) {
      // A failure that names its address needs no state of its own (the hot path: most failures); helpers
      // and failures without an address start one.
      p = {
        ip: ip === null ? null : detach(ip),
        user: user === undefined ? null : detach(user),
        multi: false,
        pending: false,
        lastUs: tsUs,
      };
      this.procs.put(key, p);
    }
    if (p !== undefined) {
      if (p.pending || p.multi) fail = true;
      p.pending = false;
      if (ip === null) ip = p.ip;
    }
    if (r.gained) {
      // A successful login is always reported; after attempts on several user names it is a failure too.
      const ok: FbEvent | null = ip === null ? null : { type: SUCCEEDED, tsUs, ip, user_id: user };
      if (ok !== null && fail) this.also = { type: FAILED, tsUs, ip: ip!, user_id: user };
      return ok ?? this.no('unparseable', 'invalid address');
    }
    if (!fail) {
      return this.no('ignored', r.kind === NOFAIL ? 'not a failure' : 'other sshd message');
    }
    if (ip === null) {
      if (p !== undefined && this.procs.has(key)) p.pending = true;
      return this.no('ignored', 'failure waiting for its address');
    }
    return { type: FAILED, tsUs, ip, user_id: user };
  }

  private addUser(p: Proc, user: string): void {
    if (p.user === null) p.user = detach(user);
    else if (!p.multi && p.user !== user) p.multi = true;
  }

  /** Canonical address (`::ffff:a.b.c.d` → `a.b.c.d`); other IPv6 results are cached (attackers repeat). */
  private address(raw: string): string | null {
    if (raw.indexOf(':') < 0) return canonicalIp(raw);
    if (canonicalV6At(raw, 0, raw.length)) return raw;
    const hit = this.v6Cache.get(raw);
    if (hit !== undefined) return hit;
    let ip = canonicalIp(raw);
    if (ip !== null && ip.startsWith('::ffff:') && ip.indexOf('.') > 0) ip = ip.slice(7);
    if (ip !== null) {
      if (this.v6Cache.size >= V6_CACHE_SIZE) this.v6Cache.clear();
      this.v6Cache.set(detach(raw), detach(ip)); // `raw` is a slice of a big read chunk: do not pin it
    }
    return ip;
  }
}
