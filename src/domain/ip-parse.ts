/**
 * Low-level IP parsing and formatting for ip.ts (internal to domain/).
 * Every address is 128 bits held as four unsigned 32-bit words in `scratch`;
 * IPv4 a.b.c.d is held as its IPv4-mapped form ::ffff:a.b.c.d. Parsing
 * writes into `scratch` and allocates nothing.
 */

/** Word 2 of an IPv4-mapped address (::ffff:a.b.c.d). */
export const MAPPED_HI = 0x0000ffff;

/** Scratch words: parse results land here, so parsing allocates nothing. */
export const scratch = new Uint32Array(4);

/** IPv6 groups being parsed; every slot is rewritten by each successful parse (finishV6). */
const groups = [0, 0, 0, 0, 0, 0, 0, 0];

/** Set by parseV4: some part had a leading zero (`010`), so the text is not canonical. */
export let v4LeadingZero = false;

/** Parses strict IPv4 `a.b.c.d` (0..255 each, 1-3 digits) into a uint32, or -1. */
export function parseV4(s: string, start: number, end: number): number {
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
export function parseInto(text: string): 0 | 4 | 6 {
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

/** Dotted-quad text of a uint32. */
export function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text of the address in `w`; mapped addresses as `::ffff:a.b.c.d`. */
export function v6Text(w: ArrayLike<number>): string {
  if (w[0] === 0 && w[1] === 0 && w[2] === MAPPED_HI) return `::ffff:${v4Text(w[3]!)}`;
  const g: number[] = [];
  for (let k = 0; k < 4; k++) g.push(w[k]! >>> 16, w[k]! & 0xffff);
  // Longest run of >= 2 zero groups; the first one wins ties (RFC 5952 §4.2.3).
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8;) {
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

/** The 32-bit mask of word `k` for a 128-bit prefix length. */
export function wordMask(prefix128: number, k: number): number {
  const bits = prefix128 - 32 * k;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}
