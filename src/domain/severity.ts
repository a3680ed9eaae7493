/** Severities and their acknowledgement deadlines, from the runbook's escalation table. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const DEFAULT_ACK_DEADLINES_MS: Readonly<Record<Severity, number>> = Object.freeze({
  critical: 15 * 60_000,
  high: 60 * 60_000,
  medium: 4 * 60 * 60_000,
  low: 24 * 60 * 60_000,
});

/** Higher number = more severe; used to keep the worst severity when detections merge. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}

export function isSeverity(s: unknown): s is Severity {
  return typeof s === 'string' && (SEVERITIES as readonly string[]).includes(s);
}
