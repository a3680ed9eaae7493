/**
 * IP address helpers: canonical text, CIDR ranges, and a fast matcher for the
 * allowlist and for bans. Pure: no I/O, no DNS.
 *
 * Internally every address is 128 bits held as four unsigned 32-bit words.
 * An IPv4 address a.b.c.d is held as its IPv4-mapped IPv6 form
 * ::ffff:a.b.c.d, so `1.2.3.4` and `::ffff:1.2.3.4` (what a dual-stack socket
 * reports) fall into the same ranges and the same bans. The canonical TEXT
 * keeps the family it was written in. Parsing itself lives in ip-parse.ts.
 */
import { MAPPED_HI, parseInto, parseV4, scratch, v4LeadingZero, v4Text, v6Text, wordMask } from './ip-parse.ts';

/** A CIDR range, host bits cleared. */
export interface Cidr {
  readonly family: 4 | 6;
  /** Canonical network address (host bits zero). */
  readonly address: string;
  /** Prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
  /** `address/prefix`. */
  readonly text: string;
  /** The network as four 32-bit words in the 128-bit space (IPv4 mapped), host bits zero. */
  readonly words: readonly [number, number, number, number];
  /** Prefix length in the 128-bit space (IPv4: 96 + prefix). */
  readonly prefix128: number;
}

/**
 * Canonical text of an IP address, or null when `text` is not one.
 * IPv4: dotted quad without leading zeros (`010.1.1.1` → `10.1.1.1`, parts
 * read as decimal). IPv6: RFC 5952 (lowercase, no leading zeros, the longest
 * run of two or more zero groups compressed, the first on ties);
 * IPv4-mapped addresses stay `::ffff:1.2.3.4`. Zone ids are rejected.
 */
export function canonicalIp(text: string): string | null {
  // Fast path (most log lines): an IPv4 address already canonical is returned as is.
  if (text.length <= 15 && text.indexOf(':') < 0) {
    const v = parseV4(text, 0, text.length);
    if (v < 0) return null;
    return v4LeadingZero ? v4Text(v) : text;
  }
  const fam = parseInto(text);
  if (fam === 0) return null;
  const out = fam === 4 ? v4Text(scratch[3]!) : v6Text(scratch);
  return out === text ? text : out;
}

/**
 * When text[b, e) is an IPv4 address written canonically (`canonicalIp` would return it as is), its 32
 * bits as an unsigned number; else -1. Reads in place: no substring.
 */
export function canonicalV4At(text: string, b: number, e: number): number {
  if (e - b > 15) return -1;
  const v = parseV4(text, b, e);
  return v >= 0 && !v4LeadingZero ? v : -1;
}

/** Groups of the address canonicalV6At reads (scratch: no allocation). */
const groups = new Int32Array(8);

/**
 * Whether text[b, e) is an IPv6 address written canonically (`canonicalIp` would return it as is), read in
 * place: lowercase hex groups without leading zeros, the longest run of two or more zero groups written
 * `::` (the first on ties), and no other. False for the IPv4-mapped and dotted forms (callers take the
 * slow path for those, and for anything else).
 */
export function canonicalV6At(text: string, b: number, e: number): boolean {
  if (e - b < 2 || e - b > 39) return false;
  let n = 0;
  let gap = -1;
  let i = b;
  if (text.charCodeAt(i) === 58) {
    if (text.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < e) {
    const start = i;
    let v = 0;
    for (; i < e && i - start < 5; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) v = v * 16 + c - 48;
      else if (c >= 97 && c <= 102) v = v * 16 + c - 87;
      else break;
    }
    const len = i - start;
    if (len === 0 || len > 4 || (len > 1 && text.charCodeAt(start) === 48) || n === 8) return false;
    groups[n++] = v;
    if (i === e) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === e) return false;
  }
  const gapLen = gap < 0 ? 0 : 8 - n;
  if (gap < 0 ? n !== 8 : gapLen < 2) return false;
  // The groups beside `::` are not zero (else the run written would be longer), so no run touches it.
  if (gap > 0 && groups[gap - 1] === 0) return false;
  if (gap >= 0 && gap < n && groups[gap] === 0) return false;
  // A run before `::` must be shorter than it (the first wins ties), one after it no longer; without `::`,
  // no run of two.
  let run = 0;
  for (let k = 0; k < n; k++) {
    if (groups[k] !== 0) {
      run = 0;
      continue;
    }
    run++;
    if (gap < 0 ? run > 1 : k < gap ? run >= gapLen : run > gapLen) return false;
  }
  // IPv4-mapped (::ffff:a.b.c.d is its canonical text): five zero groups, then ffff.
  const at = (k: number) => (gap < 0 || k < gap ? groups[k]! : k < gap + gapLen ? 0 : groups[k - gapLen]!);
  return !(at(0) === 0 && at(1) === 0 && at(2) === 0 && at(3) === 0 && at(4) === 0 && at(5) === 0xffff);
}

/**
 * Parses `a.b.c.d/n` or `x::y/n`; a bare address is a /32 or /128. Host bits
 * are cleared (`10.1.2.3/8` → `10.0.0.0/8`). Returns null when invalid.
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const fam = parseInto(addr);
  if (fam === 0) return null;
  const max = fam === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  const prefix128 = fam === 4 ? 96 + prefix : prefix;
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) words[k] = (scratch[k]! & wordMask(prefix128, k)) >>> 0;
  const address = fam === 4 ? v4Text(words[3]) : v6Text(words);
  return { family: fam, address, prefix, text: `${address}/${prefix}`, words, prefix128 };
}

/** True when `ip` (any valid text form) lies inside `cidr`. IPv4 and IPv4-mapped IPv6 are the same address. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  if (parseInto(ip) === 0) return false;
  for (let k = 0; k < 4; k++) {
    if ((scratch[k]! & wordMask(cidr.prefix128, k)) >>> 0 !== cidr.words[k]) return false;
  }
  return true;
}

const LOOPBACK4 = parseCidr('127.0.0.0/8')!;

/** True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
export function isLoopback(ip: string): boolean {
  if (cidrContains(LOOPBACK4, ip)) return true;
  return parseInto(ip) === 6 && scratch[0] === 0 && scratch[1] === 0 && scratch[2] === 0 && scratch[3] === 1;
}

/**
 * A set of exact addresses and CIDR ranges with a fast `matches(ip)`.
 * Adding is idempotent and `remove` deletes an entry whatever the number of
 * adds. Exact IPv4 (and mapped) addresses live in a Set of numbers; ranges
 * are grouped by prefix length, so a lookup costs one parse plus one Set
 * probe per distinct prefix length present.
 */
export class IpMatcher {
  /** IPv4 and IPv4-mapped addresses as uint32. */
  private readonly exact4 = new Set<number>();
  /** Other IPv6 addresses, canonical text. */
  private readonly exact6 = new Set<string>();
  /** Ranges inside ::ffff:0:0/96, by IPv4 prefix length (0..32) → network uint32. */
  private readonly nets4 = new Map<number, Set<number>>();
  /** Other ranges, by 128-bit prefix length → masked words as text. */
  private readonly nets6 = new Map<number, Set<string>>();
  private prefixes4: number[] = [];
  private prefixes6: number[] = [];

  constructor(entries: Iterable<string> = []) {
    for (const e of entries) this.add(e);
  }

  /** Adds an address or CIDR. Returns false (and changes nothing) when the text is invalid. */
  add(entry: string): boolean {
    return this.update(entry, true);
  }

  /** Removes an address or CIDR added before. Returns false when it was not present or is invalid. */
  remove(entry: string): boolean {
    return this.update(entry, false);
  }

  /** Number of entries (addresses plus ranges). */
  get size(): number {
    let n = this.exact4.size + this.exact6.size;
    for (const s of this.nets4.values()) n += s.size;
    for (const s of this.nets6.values()) n += s.size;
    return n;
  }

  /** True when `ip` is one of the addresses or inside one of the ranges. Invalid text never matches. */
  matches(ip: string): boolean {
    const fam = parseInto(ip);
    if (fam === 0) return false;
    const mapped = scratch[0] === 0 && scratch[1] === 0 && scratch[2] === MAPPED_HI;
    if (mapped) {
      const v = scratch[3]!;
      if (this.exact4.has(v)) return true;
      for (const p of this.prefixes4) {
        const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
        if (this.nets4.get(p)!.has((v & m) >>> 0)) return true;
      }
    } else if (this.exact6.size > 0 && this.exact6.has(v6Text(scratch))) return true;
    for (const p of this.prefixes6) {
      if (this.nets6.get(p)!.has(maskedKey(scratch, p))) return true;
    }
    return false;
  }

  private update(entry: string, add: boolean): boolean {
    const c = parseCidr(entry);
    if (c === null) return false;
    const w = c.words;
    const inMapped = c.prefix128 >= 96 && w[0] === 0 && w[1] === 0 && w[2] === MAPPED_HI;
    if (inMapped && c.prefix128 === 128) return setOp(this.exact4, w[3], add);
    if (!inMapped && c.prefix128 === 128) return setOp(this.exact6, c.address, add);
    if (inMapped) {
      const ok = mapOp(this.nets4, c.prefix128 - 96, w[3], add);
      this.prefixes4 = [...this.nets4.keys()].sort((a, b) => b - a);
      return ok;
    }
    const ok = mapOp(this.nets6, c.prefix128, maskedKey(w, c.prefix128), add);
    this.prefixes6 = [...this.nets6.keys()].sort((a, b) => b - a);
    return ok;
  }
}

function maskedKey(w: ArrayLike<number>, prefix128: number): string {
  return `${(w[0]! & wordMask(prefix128, 0)) >>> 0},${(w[1]! & wordMask(prefix128, 1)) >>> 0},${(w[2]! & wordMask(prefix128, 2)) >>> 0},${(w[3]! & wordMask(prefix128, 3)) >>> 0}`;
}

function setOp<T>(set: Set<T>, v: T, add: boolean): boolean {
  if (add) {
    set.add(v);
    return true;
  }
  return set.delete(v);
}

function mapOp<T>(map: Map<number, Set<T>>, p: number, v: T, add: boolean): boolean {
  let s = map.get(p);
  if (add) {
    if (!s) map.set(p, (s = new Set()));
    s.add(v);
    return true;
  }
  if (!s || !s.delete(v)) return false;
  if (s.size === 0) map.delete(p);
  return true;
}
