/** Alertmanager alerts per group (dedup key) and fingerprint. */
import type { Queryable } from './db.ts';

export interface TrackedAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  incident_id: string | null;
}

export async function listGroupAlerts(q: Queryable, dedupKey: string, forUpdate = false): Promise<TrackedAlert[]> {
  const r = await q.query<{ fingerprint: string; status: 'firing' | 'resolved'; incident_id: number | string | null }>(
    `SELECT fingerprint, status, incident_id FROM integration_alerts WHERE dedup_key = $1 ORDER BY fingerprint ${forUpdate ? 'FOR UPDATE' : ''}`,
    [dedupKey],
  );
  return r.rows.map((x) => ({ ...x, incident_id: x.incident_id === null ? null : String(x.incident_id) }));
}

export interface AlertUpsert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** Records the alerts' latest state; firing alerts are tied to `incidentId`. */
export async function upsertGroupAlerts(
  q: Queryable,
  dedupKey: string,
  alerts: readonly AlertUpsert[],
  incidentId: string | null,
  now: Date,
): Promise<void> {
  for (const a of alerts) {
    await q.query(
      `INSERT INTO integration_alerts (dedup_key, fingerprint, status, incident_id, labels, annotations, starts_at, ends_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (dedup_key, fingerprint) DO UPDATE SET status = EXCLUDED.status,
         incident_id = CASE WHEN EXCLUDED.status = 'firing' THEN coalesce(EXCLUDED.incident_id, integration_alerts.incident_id) ELSE integration_alerts.incident_id END,
         labels = EXCLUDED.labels, annotations = EXCLUDED.annotations, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at`,
      [
        dedupKey,
        a.fingerprint,
        a.status,
        a.status === 'firing' ? incidentId : null,
        JSON.stringify(a.labels),
        JSON.stringify(a.annotations),
        a.startsAt,
        a.endsAt,
        now,
      ],
    );
  }
}

/** Marks every alert of the group not in `keep` as resolved (they left a complete, untruncated payload). */
export async function resolveMissingAlerts(q: Queryable, dedupKey: string, keep: readonly string[], now: Date): Promise<void> {
  await q.query(
    `UPDATE integration_alerts SET status = 'resolved', updated_at = $3 WHERE dedup_key = $1 AND status = 'firing' AND NOT (fingerprint = ANY($2))`,
    [dedupKey, keep, now],
  );
}
