/** Inputs of the analytics report: incidents of a period, and ban decisions per address when that table exists. */
import type { Queryable } from './db.ts';
import type { AnalyticsIncident } from '../domain/analytics.ts';

/** Incidents detected in [from, to), with their milestones as epoch milliseconds. */
export async function incidentsDetectedBetween(q: Queryable, from: Date, to: Date): Promise<AnalyticsIncident[]> {
  const r = await q.query<{
    type: string;
    severity: string;
    dedup_key: string | null;
    detected_at: Date;
    acknowledged_at: Date | null;
    resolved_at: Date | null;
    resolved_by: string | null;
    sla_breached_at: Date | null;
  }>(
    `SELECT type, severity, dedup_key, detected_at, acknowledged_at, resolved_at, resolved_by, sla_breached_at
     FROM incidents WHERE detected_at >= $1 AND detected_at < $2 ORDER BY id`,
    [from, to],
  );
  return r.rows.map((x) => ({
    type: x.type,
    severity: x.severity,
    dedup_key: x.dedup_key,
    detectedAtMs: x.detected_at.getTime(),
    acknowledgedAtMs: x.acknowledged_at ? x.acknowledged_at.getTime() : null,
    resolvedAtMs: x.resolved_at ? x.resolved_at.getTime() : null,
    resolved_by: x.resolved_by,
    sla_breached: x.sla_breached_at !== null,
  }));
}

/**
 * Decisions with scope `ip` per address, created in [from, to) when the
 * table has a `created_at` column (all of them otherwise). Returns null when
 * there is no `decisions` table with `scope` and `value` columns: it belongs
 * to another part of Firebreak and may not exist in this schema.
 */
export async function ipDecisionCounts(q: Queryable, from: Date, to: Date): Promise<Map<string, number> | null> {
  const cols = await q.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'decisions'`,
  );
  const names = new Set(cols.rows.map((c) => c.column_name));
  if (!names.has('scope') || !names.has('value')) return null;
  const timed = names.has('created_at');
  const r = await q.query<{ value: string; n: number }>(
    `SELECT value, count(*)::int AS n FROM decisions WHERE scope = 'ip' ${timed ? 'AND created_at >= $1 AND created_at < $2' : ''} GROUP BY value`,
    timed ? [from, to] : [],
  );
  return new Map(r.rows.map((x) => [x.value, x.n]));
}
