/**
 * What a decision may be: its scopes and types, which types go with which
 * scopes, how long it may last, and the canonical form of its value. Pure.
 *
 * Addresses are stored in canonical text (src/domain/ip.ts), and an
 * IPv4-mapped IPv6 address or range (`::ffff:203.0.113.5`, what a dual-stack
 * socket reports) is stored as plain IPv4, so one address has one spelling
 * for bouncers, firewalls and lookups.
 */
import { canonicalIp, parseCidr, type Cidr } from '../domain/ip.ts';

export const DECISION_SCOPES = ['ip', 'range', 'user', 'global'] as const;
export type DecisionScopeName = (typeof DECISION_SCOPES)[number];

export const DECISION_TYPES = ['ban', 'captcha', 'rate_limit', 'lock'] as const;
export type DecisionType = (typeof DECISION_TYPES)[number];

/** Which scopes each type applies to: bans and captchas stop addresses, locks stop accounts, rate limits fit anything. */
export const SCOPES_BY_TYPE: Readonly<Record<DecisionType, readonly DecisionScopeName[]>> = {
  ban: ['ip', 'range'],
  captcha: ['ip', 'range'],
  rate_limit: ['ip', 'range', 'user', 'global'],
  lock: ['user'],
};

/** Shortest and longest decision: one second to ten years (anything longer is a typo). */
export const MIN_DURATION_MS = 1000;
export const MAX_DURATION_MS = 3653 * 86_400_000;

/** Default duration of a decision made by hand without one (as `cscli decisions add`). */
export const DEFAULT_MANUAL_DURATION_MS = 4 * 3_600_000;

export type CanonicalTarget =
  | { ok: true; value: string; /** ip/range: text for the inet column */ net: string | null; cidr: Cidr | null }
  | { ok: false; message: string };

const MAPPED_HI = 0xffff;

/** A CIDR inside ::ffff:0:0/96 rewritten as IPv4; any other CIDR unchanged. */
export function unmapCidr(c: Cidr): Cidr {
  const [w0, w1, w2, w3] = c.words;
  if (c.family !== 6 || c.prefix128 < 96 || w0 !== 0 || w1 !== 0 || w2 !== MAPPED_HI) return c;
  const v4 = `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  return parseCidr(`${v4}/${c.prefix128 - 96}`)!;
}

/** Parses an address or CIDR into its canonical, unmapped form; null when invalid. */
export function canonicalCidr(text: string): Cidr | null {
  const c = parseCidr(text.trim());
  return c ? unmapCidr(c) : null;
}

/** Canonical text of an address (unmapped); null when `text` is not an address. */
export function canonicalAddress(text: string): string | null {
  const t = text.trim();
  if (t.includes('/') || canonicalIp(t) === null) return null;
  const c = canonicalCidr(t)!;
  return c.address;
}

/**
 * The canonical value of a decision target:
 *   ip     an address (`a.b.c.d/32` is accepted as the address); a wider CIDR is refused with a hint
 *   range  a CIDR, host bits cleared (`10.1.2.3/8` → `10.0.0.0/8`); a bare address is a /32 or /128
 *   user   an account id: 1-200 printable characters
 *   global `*` (the value may be omitted)
 */
export function canonicalTarget(scope: DecisionScopeName, raw: string | undefined): CanonicalTarget {
  const text = (raw ?? '').trim();
  switch (scope) {
    case 'ip': {
      const c = canonicalCidr(text);
      if (!c) return { ok: false, message: `"${text}" is not an IP address` };
      const full = c.family === 4 ? 32 : 128;
      if (c.prefix !== full) return { ok: false, message: `"${text}" is a range: use scope "range" for CIDR ranges` };
      return { ok: true, value: c.address, net: c.address, cidr: c };
    }
    case 'range': {
      const c = canonicalCidr(text);
      if (!c) return { ok: false, message: `"${text}" is not a CIDR range (e.g. 198.51.100.0/24 or 2001:db8::/32)` };
      return { ok: true, value: c.text, net: c.text, cidr: c };
    }
    case 'user':
      if (text.length === 0 || text.length > 200 || /[\u0000-\u001f\u007f]/.test(text)) {
        return { ok: false, message: 'must be an account id of 1-200 printable characters' };
      }
      return { ok: true, value: text, net: null, cidr: null };
    case 'global':
      if (text !== '' && text !== '*') return { ok: false, message: 'a global decision has no value (or "*")' };
      return { ok: true, value: '*', net: null, cidr: null };
  }
}

/** `ip:<addr>` / `range:<cidr>` / `user:<id>` / `global`, the key incidents and action targets use. */
export function targetKey(scope: DecisionScopeName, value: string): string {
  return scope === 'global' ? 'global' : `${scope}:${value}`;
}
