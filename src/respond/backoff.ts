/**
 * Delay before attempt `attempt + 1` after attempt `attempt` failed:
 * base × 2^(attempt-1) plus up to 20 % jitter (so actions failing together do
 * not come back in lockstep), at least what the peer asked for (Retry-After),
 * never more than `max`. Pure (pass `random`).
 */
export function retryDelayMs(
  attempt: number,
  policy: { retry_base: number; retry_max: number },
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exp = policy.retry_base * 2 ** Math.max(0, Math.min(attempt - 1, 30));
  const jittered = exp * (1 + 0.2 * random());
  return Math.round(Math.min(policy.retry_max, Math.max(jittered, retryAfterMs ?? 0)));
}
