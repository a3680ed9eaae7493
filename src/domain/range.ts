/**
 * Range decisions (README "Campaigns"): when a campaign has banned at least
 * `ipv4Min` addresses inside one IPv4 /24, or `ipv6Min` inside one IPv6 /64,
 * that network is banned as one `range` decision. Pure: the service layer
 * feeds the campaign's banned addresses and checks the allowlist (a range
 * that touches it is never created).
 *
 *   address family        network      becomes a range when
 *   IPv4 (and ::ffff:v4)  /24          >= ipv4Min distinct banned addresses in it
 *   IPv6                  /64          >= ipv6Min distinct banned addresses in it
 *   not an address        -            ignored
 */
import { canonicalIp, parseCidr } from './ip.ts';

export interface RangeThresholds {
  ipv4Min: number;
  ipv6Min: number;
}

/** The /24 or /64 an address falls in (IPv4-mapped IPv6 counts as IPv4), or null when it is not an address. */
export function rangeOf(address: string): string | null {
  const ip = unmapped(address);
  if (ip === null) return null;
  const c = parseCidr(ip.includes(':') ? `${ip}/64` : `${ip}/24`);
  return c ? c.text : null;
}

/** Canonical text, IPv4-mapped IPv6 written as IPv4 (one address, one spelling), or null. */
function unmapped(address: string): string | null {
  const ip = canonicalIp(address);
  if (ip === null) return null;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * The ranges to ban: each /24 or /64 holding at least the family's minimum of
 * distinct addresses, with its count, in first-seen order.
 */
export function aggregateRanges(addresses: Iterable<string>, t: RangeThresholds): { cidr: string; count: number }[] {
  const byRange = new Map<string, Set<string>>();
  for (const a of addresses) {
    const r = rangeOf(a);
    if (r === null) continue;
    let s = byRange.get(r);
    if (!s) byRange.set(r, (s = new Set()));
    s.add(unmapped(a)!);
  }
  const out: { cidr: string; count: number }[] = [];
  for (const [cidr, s] of byRange) if (s.size >= (cidr.includes(':') ? t.ipv6Min : t.ipv4Min)) out.push({ cidr, count: s.size });
  return out;
}
