/**
 * Guard rails on what a ban, captcha or rate limit may cover, whoever asks
 * (a rule, a runbook, a responder, the CrowdSec API, a batch): pure, so the
 * single and the batched decision paths call the same function.
 *
 *   wider than decisions.max_range (default /16 IPv4, /32 IPv6)  refused
 *   covers 0.0.0.0 or :: (the unspecified address)               refused
 *   covers one of this server's own addresses                    refused
 *
 * The allowlist (also checked by overlap, not only containment) is applied by
 * the caller, which reads it from the database.
 */
import { cidrContains, type Cidr } from './ip.ts';

export interface DecisionGuard {
  /** Shortest prefix length a decision may have, per family. */
  maxRange: { readonly ipv4: number; readonly ipv6: number };
  /** This server's own addresses (interfaces and the listen address). */
  ownAddresses: readonly string[];
}

/** Why a decision may not cover `target`, or null when it may. */
export function decisionTargetProblem(target: Cidr, guard: DecisionGuard): string | null {
  const min = target.family === 4 ? guard.maxRange.ipv4 : guard.maxRange.ipv6;
  if (target.prefix < min) {
    return `${target.text} is wider than decisions.max_range allows (/${min} for IPv${target.family}): ban narrower ranges, or raise the limit in the configuration`;
  }
  if (cidrContains(target, target.family === 4 ? '0.0.0.0' : '::'))
    return `${target.text} covers the unspecified address; it is never banned`;
  for (const own of guard.ownAddresses)
    if (cidrContains(target, own)) return `${target.text} covers ${own}, an address of this Firebreak server; it is never banned`;
  return null;
}
