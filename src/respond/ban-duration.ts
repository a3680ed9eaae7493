/**
 * Repeat offenders (fail2ban's bantime.increment): the n-th automated ban of
 * the same target within the configured window lasts base × factor^(n-1),
 * never longer than `max` (unless the base itself is longer). Pure.
 *
 *   priorBans  0 → base, 1 → base×factor, 2 → base×factor², … capped
 */
export interface BanPolicy {
  increment: boolean;
  factor: number;
  max: number;
}

export function banDurationMs(baseMs: number, priorBans: number, policy: BanPolicy): number {
  if (!policy.increment || priorBans <= 0) return baseMs;
  const cap = Math.max(policy.max, baseMs);
  const d = baseMs * policy.factor ** priorBans;
  return Number.isFinite(d) ? Math.min(Math.round(d), cap) : cap;
}

/** "1st", "2nd", "3rd", "4th" … for timeline messages. */
export function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}
