/**
 * Which addresses outbound webhooks may reach. A webhook URL comes from a
 * runbook step or a channel; pointed at Firebreak's own API, a cloud metadata
 * service or a database on the private network, it would turn Firebreak into
 * a proxy into places its operators never meant to expose (SSRF). So the
 * `webhook` action and the webhook/Slack channels refuse every address that
 * is not public unless `outbound.allow` lists it (a CIDR or a host name).
 *
 *   loopback     127.0.0.0/8, ::1
 *   unspecified  0.0.0.0/8, ::
 *   link-local   169.254.0.0/16 (cloud metadata), fe80::/10
 *   private      10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10 (shared CGNAT)
 *   other        multicast, broadcast, reserved 240/4, benchmarking 198.18/15,
 *                IETF 192.0.0/24, and the same inside IPv4-mapped or NAT64 IPv6
 */
import { canonicalIp, cidrContains, parseCidr, type Cidr } from './ip.ts';

const BLOCKED: readonly [string, string][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private (shared address space)'],
  ['169.254.0.0/16', 'link-local'],
  ['192.0.0.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fc00::/7', 'private'],
  ['ff00::/8', 'multicast'],
  ['64:ff9b::/96', 'NAT64 (may reach a private IPv4 address)'],
  ['64:ff9b:1::/48', 'NAT64 (may reach a private IPv4 address)'],
  ['2002::/16', '6to4 (may reach a private IPv4 address)'],
];
const BLOCKED_CIDRS: readonly [Cidr, string][] = BLOCKED.map(([c, why]) => [parseCidr(c)!, why]);

/** Why `ip` is not a public address (`loopback`, `private`, …), or null when it is public. Invalid text is refused. */
export function nonPublicReason(ip: string): string | null {
  if (canonicalIp(ip) === null) return 'not an IP address';
  // cidrContains treats IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address, so those are covered too.
  for (const [c, why] of BLOCKED_CIDRS) if (cidrContains(c, ip)) return why;
  return null;
}

export interface OutboundAllow {
  cidrs: Cidr[];
  /** Lower-case host names, exact. */
  hosts: Set<string>;
}

/** Parses `outbound.allow`: each entry an address, a CIDR or a host name. */
export function parseOutboundAllow(entries: readonly string[]): OutboundAllow {
  const out: OutboundAllow = { cidrs: [], hosts: new Set() };
  for (const e of entries) {
    const c = parseCidr(e.trim());
    if (c) out.cidrs.push(c);
    else out.hosts.add(e.trim().toLowerCase().replace(/\.$/, ''));
  }
  return out;
}

/**
 * Null when a connection to `address` (resolved from `host`) is allowed, else
 * the sentence saying why not. Public addresses are always allowed.
 */
export function outboundRefusal(host: string, address: string, allow: OutboundAllow): string | null {
  const why = nonPublicReason(address);
  if (why === null) return null;
  if (
    allow.hosts.has(
      host
        .toLowerCase()
        .replace(/^\[|\]$/g, '')
        .replace(/\.$/, ''),
    )
  )
    return null;
  if (allow.cidrs.some((c) => cidrContains(c, address))) return null;
  const shown = host === address ? address : `${host} (${address})`;
  return `refused to connect to ${shown}: ${why} address; list it in outbound.allow to permit it`;
}
