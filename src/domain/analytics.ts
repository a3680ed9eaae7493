/**
 * Incident analytics: counts, MTTA/MTTR with percentiles, SLA breach rate,
 * automated-vs-human resolution share, and top offending addresses. Pure: the
 * caller passes the incidents of the period and, when it has them, decision
 * counts per address.
 *
 * Definitions (also in README "Analytics"):
 * - An incident belongs to the period when it was detected in `[from, to)`.
 * - TTA = acknowledged_at − detected_at (acknowledged incidents only);
 *   TTR = resolved_at − detected_at (resolved incidents only). MTTA/MTTR are
 *   their arithmetic means.
 * - Percentiles use the nearest-rank method: sort the n values ascending; the
 *   p-th percentile is the value at 1-based rank ⌈p/100 · n⌉ (rank 1 when that
 *   is 0). It is always one of the observed values. No values → null.
 * - SLA breach rate = incidents with a recorded breach / incidents.
 * - A resolution is automated when `resolved_by` starts with `rule:`,
 *   `runbook:` or `integration:`, or is `system`; any other resolver is a human.
 *   The share is automated / resolved incidents (null when none resolved).
 * - Offending addresses: the `ip:<address>` dedup keys of the period's
 *   incidents, plus decisions with scope `ip` when a decision count is given.
 */
export const GROUP_BYS = ['type', 'severity', 'week'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface AnalyticsIncident {
  type: string;
  severity: string;
  dedup_key: string | null;
  detectedAtMs: number;
  acknowledgedAtMs: number | null;
  resolvedAtMs: number | null;
  resolved_by: string | null;
  sla_breached: boolean;
}

/** Mean and nearest-rank percentiles of durations, in seconds. */
export interface DurationStats {
  n: number;
  mean_s: number | null;
  p50_s: number | null;
  p90_s: number | null;
}

export interface GroupStats {
  incidents: number;
  open: number;
  acknowledged: number;
  resolved: number;
  mtta: DurationStats;
  mttr: DurationStats;
  sla_breaches: number;
  sla_breach_rate: number | null;
  automated_resolutions: number;
  human_resolutions: number;
  automated_share: number | null;
}

export interface Offender {
  address: string;
  incidents: number;
  decisions: number;
}

export interface AnalyticsReport {
  from: string;
  to: string;
  group_by: GroupBy;
  totals: GroupStats;
  groups: ({ key: string } & GroupStats)[];
  top_addresses: Offender[];
}

/** The nearest-rank percentile of `sorted` (ascending); null for no values. */
export function percentileNearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Rounds to milliseconds so sums of float seconds print cleanly. */
const roundMs = (s: number): number => Math.round(s * 1000) / 1000;

export function durationStats(valuesMs: readonly number[]): DurationStats {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, mean_s: null, p50_s: null, p90_s: null };
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    mean_s: roundMs(sum / sorted.length / 1000),
    p50_s: roundMs(percentileNearestRank(sorted, 50)! / 1000),
    p90_s: roundMs(percentileNearestRank(sorted, 90)! / 1000),
  };
}

export function isAutomatedResolver(resolvedBy: string | null): boolean {
  if (resolvedBy === null) return false;
  return resolvedBy === 'system' || /^(rule|runbook|integration):/.test(resolvedBy);
}

export function groupStats(incidents: readonly AnalyticsIncident[]): GroupStats {
  const tta: number[] = [];
  const ttr: number[] = [];
  let resolved = 0;
  let acknowledged = 0;
  let breaches = 0;
  let automated = 0;
  for (const i of incidents) {
    if (i.acknowledgedAtMs !== null) {
      acknowledged++;
      tta.push(i.acknowledgedAtMs - i.detectedAtMs);
    }
    if (i.resolvedAtMs !== null) {
      resolved++;
      ttr.push(i.resolvedAtMs - i.detectedAtMs);
      if (isAutomatedResolver(i.resolved_by)) automated++;
    }
    if (i.sla_breached) breaches++;
  }
  const n = incidents.length;
  return {
    incidents: n,
    open: n - resolved,
    acknowledged,
    resolved,
    mtta: durationStats(tta),
    mttr: durationStats(ttr),
    sla_breaches: breaches,
    sla_breach_rate: n === 0 ? null : breaches / n,
    automated_resolutions: automated,
    human_resolutions: resolved - automated,
    automated_share: resolved === 0 ? null : automated / resolved,
  };
}

/** ISO 8601 week of a UTC instant, e.g. `2026-W10` (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(ms: number): string {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function groupKey(i: AnalyticsIncident, by: GroupBy): string {
  return by === 'type' ? i.type : by === 'severity' ? i.severity : isoWeek(i.detectedAtMs);
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'];

/** Offenders by incident count plus decision count, then by address; at most `limit`. */
export function topOffenders(
  incidents: readonly AnalyticsIncident[],
  decisionsByAddress: ReadonlyMap<string, number>,
  limit = 10,
): Offender[] {
  const by = new Map<string, Offender>();
  const get = (address: string) => {
    let o = by.get(address);
    if (!o) by.set(address, (o = { address, incidents: 0, decisions: 0 }));
    return o;
  };
  for (const i of incidents) if (i.dedup_key?.startsWith('ip:') && i.dedup_key.length > 3) get(i.dedup_key.slice(3)).incidents++;
  for (const [address, n] of decisionsByAddress) if (n > 0) get(address).decisions += n;
  return [...by.values()]
    .sort(
      (a, b) =>
        b.incidents + b.decisions - (a.incidents + a.decisions) ||
        b.incidents - a.incidents ||
        (a.address < b.address ? -1 : a.address > b.address ? 1 : 0),
    )
    .slice(0, limit);
}

/** The whole report for the incidents detected in `[fromMs, toMs)`; incidents outside are ignored. */
export function computeAnalytics(
  all: readonly AnalyticsIncident[],
  opts: { fromMs: number; toMs: number; groupBy: GroupBy; decisionsByAddress?: ReadonlyMap<string, number>; top?: number },
): AnalyticsReport {
  const incidents = all.filter((i) => i.detectedAtMs >= opts.fromMs && i.detectedAtMs < opts.toMs);
  const buckets = new Map<string, AnalyticsIncident[]>();
  for (const i of incidents) {
    const k = groupKey(i, opts.groupBy);
    const list = buckets.get(k);
    if (list) list.push(i);
    else buckets.set(k, [i]);
  }
  const keys = [...buckets.keys()].sort((a, b) => {
    if (opts.groupBy === 'severity') return SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b);
    if (opts.groupBy === 'type') return buckets.get(b)!.length - buckets.get(a)!.length || (a < b ? -1 : 1);
    return a < b ? -1 : 1; // weeks in time order
  });
  return {
    from: new Date(opts.fromMs).toISOString(),
    to: new Date(opts.toMs).toISOString(),
    group_by: opts.groupBy,
    totals: groupStats(incidents),
    groups: keys.map((key) => ({ key, ...groupStats(buckets.get(key)!) })),
    top_addresses: topOffenders(incidents, opts.decisionsByAddress ?? new Map(), opts.top ?? 10),
  };
}
