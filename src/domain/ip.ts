/**
 * IP address helpers: canonical text, CIDR ranges, and a fast matcher for the
 * allowlist and for bans. Pure: no I/O, no DNS.
 *
 * Internally every address is 128 bits held as four unsigned 32-bit words.
 * An IPv4 address a.b.c.d is held as its IPv4-mapped IPv6 form
 * ::ffff:a.b.c.d, so `1.2.3.4` and `::ffff:1.2.3.4` (what a dual-stack socket
 * reports) fall into the same ranges and the same bans. The canonical TEXT
 * keeps the family it was written in.
 */

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

const MAPPED_HI = 0x0000ffff; // word 2 of an IPv4-mapped address

/** Scratch words: parse results land here, so parsing allocates nothing. */
const scratch = new Uint32Array(4);

/** Set by parseV4: some part had a leading zero (`010`), so the text is not canonical. */
let v4LeadingZero = false;

/** Parses strict IPv4 `a.b.c.d` (0..255 each, 1-3 digits) into a uint32, or -1. */
function parseV4(s: string, start: number, end: number): number {
  v4LeadingZero = false;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      if (digits === 2 && part === 0) v4LeadingZero = true;
      part = part * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || part > 255 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return value * 256 + part;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses `text` into `scratch`. Returns 4, 6, or 0 when invalid.
 * IPv6 grammar (RFC 4291 §2.2): 8 groups of 1-4 hex digits, at most one `::`
 * standing for one or more zero groups, optionally an embedded IPv4 address
 * as the last 32 bits. Zone ids (`%eth0`) and brackets are rejected.
 */
function parseInto(text: string): 0 | 4 | 6 {
  const n = text.length;
  if (n === 0 || n > 45) return 0;
  if (text.indexOf(':') < 0) {
    const v = parseV4(text, 0, n);
    if (v < 0) return 0;
    scratch[0] = 0;
    scratch[1] = 0;
    scratch[2] = MAPPED_HI;
    scratch[3] = v;
    return 4;
  }
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0; // groups written
  let gap = -1; // index in groups where `::` stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return 0;
    gap = 0;
    i = 2;
    if (i === n) return finishV6(groups, count, gap);
  }
  for (;;) {
    // One group, or an embedded IPv4 address at the end.
    let j = i;
    let v = 0;
    while (j < n) {
      const h = hexVal(text.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < n && text.charCodeAt(j) === 46) {
      const v4 = parseV4(text, i, n);
      if (v4 < 0 || count > 6) return 0;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      return finishV6(groups, count, gap);
    }
    if (j === i || j - i > 4 || count >= 8) return 0;
    groups[count++] = v;
    if (j === n) return finishV6(groups, count, gap);
    if (text.charCodeAt(j) !== 58) return 0;
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return 0;
      gap = count;
      i = j + 2;
      if (i === n) return finishV6(groups, count, gap);
    } else {
      i = j + 1;
      if (i === n) return 0; // trailing single colon
    }
  }
}

function finishV6(groups: number[], count: number, gap: number): 0 | 6 {
  if (gap < 0) {
    if (count !== 8) return 0;
  } else {
    if (count > 7) return 0; // `::` must stand for at least one group
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) scratch[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return 6;
}

function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text of the address in `w`; mapped addresses as `::ffff:a.b.c.d`. */
function v6Text(w: ArrayLike<number>): string {
  if (w[0] === 0 && w[1] === 0 && w[2] === MAPPED_HI) return `::ffff:${v4Text(w[3]!)}`;
  const g: number[] = [];
  for (let k = 0; k < 4; k++) g.push(w[k]! >>> 16, w[k]! & 0xffff);
  // Longest run of >= 2 zero groups; the first one wins ties (RFC 5952 §4.2.3).
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestAt = k;
      bestLen = e - k;
    }
    k = e;
  }
  if (bestAt < 0) return hexGroups(g, 0, 8);
  return `${hexGroups(g, 0, bestAt)}::${hexGroups(g, bestAt + bestLen, 8)}`;
}

function hexGroups(g: number[], from: number, to: number): string {
  let out = '';
  for (let k = from; k < to; k++) out += k === from ? g[k]!.toString(16) : `:${g[k]!.toString(16)}`;
  return out;
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

/** The 32-bit mask of word `k` for a 128-bit prefix length. */
function wordMask(prefix128: number, k: number): number {
  const bits = prefix128 - 32 * k;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
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
    if (((scratch[k]! & wordMask(cidr.prefix128, k)) >>> 0) !== cidr.words[k]) return false;
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
