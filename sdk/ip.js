// IP parsing for the hot path. Addresses are parsed into a caller-owned
// Int32Array instead of being formatted back to strings: the parsed value *is*
// the canonical form (an int32 for IPv4, eight 16-bit groups for IPv6), so any
// spelling of an address ("::ffff:1.2.3.4", "2001:DB8:0:0::1", a zone id) lands
// on the same key without a formatting step, and the hot path allocates nothing.

/**
 * Parses a dotted quad in s[i, end) and stores it as an int32 in out[idx].
 * Strict: four decimal parts 0-255, no leading zeros (they mean octal to some
 * parsers, so accepting them would let one address hide behind another spelling).
 */
export function parseIPv4Into(s, i, end, out, idx) {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false;
      part = part * 10 + (c - 48);
      if (part > 255) return false;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return false;
      acc = (acc << 8) | part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return false;
    }
  }
  if (digits === 0 || dots !== 3) return false;
  out[idx] = (acc << 8) | part;
  return true;
}

// Hex digit values for char codes 0..102 ('f'); -1 elsewhere.
const HEX = new Int8Array(103).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

/**
 * Parses an IPv6 address (optional `%zone`, optional dotted IPv4 tail) into
 * out[0..7] in one pass over the characters.
 */
export function parseIPv6Into(s, out) {
  const len = s.length;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (len < 2) return false;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let v = 0;
    let j = i;
    let c = 0;
    for (; j < len; j++) {
      c = s.charCodeAt(j);
      const h = c <= 102 ? HEX[c] : -1;
      if (h < 0) break;
      v = (v << 4) | h;
    }
    const d = j - i;
    if (j < len && c === 46) {
      let end = s.indexOf('%', j);
      if (end < 0) end = len;
      if (n > 6 || !parseIPv4Into(s, i, end, out, n)) return false;
      const w = out[n];
      out[n] = w >>> 16;
      out[n + 1] = w & 0xffff;
      n += 2;
      break;
    }
    if (d === 0) {
      // Only a zone may follow "::" directly.
      if (c === 37 && gap === n && j > 0 && s.charCodeAt(j - 1) === 58) break;
      return false;
    }
    if (d > 4 || n === 8) return false;
    out[n++] = v;
    if (j === len || c === 37) break;
    if (c !== 58) return false;
    j++;
    if (j < len && s.charCodeAt(j) === 58) {
      if (gap >= 0) return false;
      gap = n;
      j++;
    } else if (j === len) {
      return false;
    }
    i = j;
  }
  if (gap < 0) return n === 8;
  if (n === 8) return false;
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k];
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/**
 * Parses any textual address. Returns 4 (out[0] = int32 address), 6
 * (out[0..7] = groups) or 0 (not an address). IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`, what a dual-stack socket reports for IPv4 clients)
 * comes back as 4; that spelling and the plain dotted quad skip the IPv6 parser.
 */
export function parseIP(s, out) {
  const len = s.length;
  if (len === 0) return 0;
  if (s.charCodeAt(0) !== 58) {
    if (parseIPv4Into(s, 0, len, out, 0)) return 4;
  } else if (
    len > 7 &&
    s.charCodeAt(6) === 58 &&
    s.charCodeAt(1) === 58 &&
    (s.charCodeAt(2) | 32) === 102 &&
    (s.charCodeAt(3) | 32) === 102 &&
    (s.charCodeAt(4) | 32) === 102 &&
    (s.charCodeAt(5) | 32) === 102 &&
    parseIPv4Into(s, 7, len, out, 0)
  ) {
    return 4;
  }
  if (!parseIPv6Into(s, out)) return 0;
  if (out[5] === 0xffff && out[0] === 0 && out[1] === 0 && out[2] === 0 && out[3] === 0 && out[4] === 0) {
    out[0] = (out[6] << 16) | out[7];
    return 4;
  }
  return 6;
}

/** Network mask of an IPv4 prefix length, as an int32. */
export function v4Mask(prefix) {
  return prefix === 0 ? 0 : -1 << (32 - prefix);
}

/** A compact string identifying a whole IPv6 address (eight UTF-16 code units), for Map keys off the hot path. */
export function v6Key(h) {
  return String.fromCharCode(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
}

/** Mask of the partial group of an IPv6 prefix (0 when the prefix ends on a group boundary). */
export function v6RemMask(prefix) {
  const rem = prefix & 15;
  return rem === 0 ? 0 : (0xffff << (16 - rem)) & 0xffff;
}

/**
 * 32-bit FNV-1a-style hash of the first `full` groups plus the partial group
 * masked by `remMask`: the Map key of an IPv6 network. Collisions are possible,
 * so a lookup also compares the groups (see DecisionSet.match6).
 */
export function hash6(h, full, remMask) {
  let x = -2128831035;
  for (let k = 0; k < full; k++) x = Math.imul(x ^ h[k], 16777619);
  return remMask === 0 ? x : Math.imul(x ^ (h[full] & remMask), 16777619);
}

const networkScratch = new Int32Array(8);

/**
 * Parses `a.b.c.d`, an IPv6 address, or either with `/prefix`. Host bits
 * beyond the prefix are cleared. IPv4-mapped networks become IPv4 networks.
 * Returns null when the text is not an address or network.
 * @param {string} text
 * @returns {{ family: 4, prefix: number, key: number } | { family: 6, prefix: number, key: number, groups: Int32Array } | null}
 */
export function parseNetwork(text) {
  if (typeof text !== 'string') return null;
  const out = networkScratch;
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text.trim() : text.slice(0, slash).trim();
  let prefix = -1;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
  }
  const family = parseIP(addr, out);
  if (family === 0) return null;
  if (family === 4) {
    // A prefix on an IPv4-mapped address counts the 96 bits of ::ffff:0:0/96.
    if (prefix >= 0 && addr.includes(':')) prefix -= 96;
    if (prefix < 0) prefix = slash >= 0 ? -1 : 32;
    if (prefix < 0 || prefix > 32) return null;
    return { family: 4, prefix, key: out[0] & v4Mask(prefix) };
  }
  if (prefix < 0) prefix = 128;
  if (prefix > 128) return null;
  const full = prefix >> 4;
  const remMask = v6RemMask(prefix);
  const groups = new Int32Array(8);
  for (let k = 0; k < 8; k++) groups[k] = k < full ? out[k] : k === full ? out[k] & remMask : 0;
  return { family: 6, prefix, key: hash6(groups, full, remMask), groups };
}

function format6(h) {
  // RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const parts = [];
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      parts.push(i === 0 ? ':' : '');
      i += bestLen - 1;
      if (i === 7) parts.push('');
      continue;
    }
    parts.push(h[i].toString(16));
  }
  return parts.join(':');
}

/**
 * Canonical text of an address: dotted quad for IPv4 (also for IPv4-mapped
 * IPv6), RFC 5952 for IPv6 (zone id dropped). Null when not an address.
 * @param {string} text
 * @returns {string | null}
 */
export function canonicalIp(text) {
  if (typeof text !== 'string') return null;
  const out = new Int32Array(8);
  const family = parseIP(text.trim(), out);
  if (family === 4) {
    const v = out[0];
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return family === 6 ? format6(out) : null;
}
