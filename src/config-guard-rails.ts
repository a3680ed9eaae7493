/**
 * Guard rails on escalation: limits a valid-looking configuration must stay
 * within, so one typo cannot page people thousands of times
 * (`level_timeout: 0s` with `repeat: 100000` sent 3,001 notifications in 20 s).
 *
 * - Every level waits at least `escalation_limits.min_level_timeout`
 *   (default 1m, never below 1s): a level's own `timeout`, else the policy's
 *   `level_timeout`, else the incident's acknowledgement deadline (so those
 *   are checked too when a policy falls back to them).
 * - `repeat` is at most `escalation_limits.max_repeat` (default 100, never
 *   above 1000).
 * The reasons for the numbers are in docs/configuration.md "Guard rails".
 */
import type { ErrorDetail } from './errors.ts';
import { formatDuration } from './domain/duration.ts';
import { SEVERITIES, type Severity } from './domain/severity.ts';

/** Hard floor of `escalation_limits.min_level_timeout` (a test or drill may lower the limit this far, no further). */
export const LEVEL_TIMEOUT_FLOOR_MS = 1_000;
/** Hard ceiling of `escalation_limits.max_repeat`. */
export const REPEAT_CEILING = 1_000;
export const DEFAULT_MIN_LEVEL_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_REPEAT = 100;

interface GuardedConfig {
  escalation_limits: { min_level_timeout: number; max_repeat: number };
  escalation_policies: Record<string, { levels: { timeout?: number }[]; level_timeout?: number; repeat: number }>;
  severities: Partial<Record<Severity, { ack_deadline?: number } | undefined>>;
}

/** Every place the configuration exceeds its escalation limits, with its path. */
export function guardRailProblems(c: GuardedConfig): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const { min_level_timeout: minMs, max_repeat: maxRepeat } = c.escalation_limits;
  const tooShort = (ms: number) =>
    `${formatDuration(ms)} is shorter than the minimum level timeout ${formatDuration(minMs)} (escalation_limits.min_level_timeout)`;
  let fallsBack = false;
  for (const [name, p] of Object.entries(c.escalation_policies)) {
    const at = `escalation_policies.${name}`;
    if (p.level_timeout !== undefined && p.level_timeout < minMs)
      problems.push({ path: `${at}.level_timeout`, message: tooShort(p.level_timeout) });
    p.levels.forEach((l, i) => {
      if (l.timeout !== undefined && l.timeout < minMs) problems.push({ path: `${at}.levels[${i}].timeout`, message: tooShort(l.timeout) });
      if (l.timeout === undefined && p.level_timeout === undefined) fallsBack = true;
    });
    if (p.repeat > maxRepeat) {
      problems.push({
        path: `${at}.repeat`,
        message: `${p.repeat} is more than the maximum ${maxRepeat} (escalation_limits.max_repeat)`,
      });
    }
  }
  // A level without a timeout waits the incident's acknowledgement deadline.
  if (fallsBack) {
    for (const s of SEVERITIES) {
      const ms = c.severities[s]?.ack_deadline;
      if (ms !== undefined && ms < minMs)
        problems.push({ path: `severities.${s}.ack_deadline`, message: `${tooShort(ms)}; a policy level without a timeout waits it` });
    }
  }
  return problems;
}
