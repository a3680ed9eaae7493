/**
 * Integrations (Alertmanager, PagerDuty Events v2): their keys are stored only
 * as SHA-256 hashes. Also the first-seen incident type per external key
 * (`integration_keys`), so later events of one key reach the same incident.
 */
import type { Queryable } from './db.ts';
import type { Severity } from '../domain/severity.ts';

export type IntegrationType = 'alertmanager' | 'pagerduty';

export interface IntegrationRecord {
  id: string;
  name: string;
  type: IntegrationType;
  key_prefix: string;
  default_severity: Severity;
  severity_map: Record<string, Severity>;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface Raw {
  id: string;
  name: string;
  type: IntegrationType;
  key_prefix: string;
  default_severity: Severity;
  severity_map: Record<string, Severity> | null;
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLS = 'id, name, type, key_prefix, default_severity, severity_map, created_at, created_by, last_used_at, revoked_at';

const toRecord = (r: Raw): IntegrationRecord => ({
  ...r,
  severity_map: r.severity_map ?? {},
  created_at: r.created_at.toISOString(),
  last_used_at: r.last_used_at ? r.last_used_at.toISOString() : null,
  revoked_at: r.revoked_at ? r.revoked_at.toISOString() : null,
});

/** Inserts; null when an active integration already has this name. */
export async function insertIntegration(
  q: Queryable,
  i: {
    id: string;
    name: string;
    type: IntegrationType;
    keyHash: string;
    keyPrefix: string;
    defaultSeverity: Severity;
    severityMap: Record<string, Severity>;
    createdAt: Date;
    createdBy: string;
  },
): Promise<IntegrationRecord | null> {
  const r = await q.query<Raw>(
    `INSERT INTO integrations (id, name, type, key_hash, key_prefix, default_severity, severity_map, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING ${COLS}`,
    [i.id, i.name, i.type, i.keyHash, i.keyPrefix, i.defaultSeverity, JSON.stringify(i.severityMap), i.createdAt, i.createdBy],
  );
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function listIntegrations(q: Queryable, includeRevoked: boolean): Promise<IntegrationRecord[]> {
  const r = await q.query<Raw>(
    `SELECT ${COLS} FROM integrations ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
  );
  return r.rows.map(toRecord);
}

export async function getIntegration(q: Queryable, id: string): Promise<IntegrationRecord | null> {
  const r = await q.query<Raw>(`SELECT ${COLS} FROM integrations WHERE id = $1`, [id]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

/** The active integration with this key hash, or null. */
export async function findIntegrationByKeyHash(q: Queryable, hash: string): Promise<IntegrationRecord | null> {
  const r = await q.query<Raw>(`SELECT ${COLS} FROM integrations WHERE key_hash = $1 AND revoked_at IS NULL`, [hash]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function revokeIntegration(q: Queryable, id: string, at: Date): Promise<IntegrationRecord | null> {
  const r = await q.query<Raw>(`UPDATE integrations SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLS}`, [id, at]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function touchIntegration(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query(`UPDATE integrations SET last_used_at = $2 WHERE id = $1`, [id, at]);
}

/** The incident type first chosen for an external key; records `type` when the key is new. */
export async function incidentTypeForKey(
  q: Queryable,
  k: { dedupKey: string; integrationId: string; type: string; now: Date },
): Promise<string> {
  await q.query(
    `INSERT INTO integration_keys (dedup_key, integration_id, incident_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (dedup_key) DO NOTHING`,
    [k.dedupKey, k.integrationId, k.type, k.now],
  );
  const r = await q.query<{ incident_type: string }>(`SELECT incident_type FROM integration_keys WHERE dedup_key = $1`, [k.dedupKey]);
  return r.rows[0]!.incident_type;
}

/** The recorded incident type of a key, or null when the key was never triggered. */
export async function findKeyType(q: Queryable, dedupKey: string): Promise<string | null> {
  const r = await q.query<{ incident_type: string }>(`SELECT incident_type FROM integration_keys WHERE dedup_key = $1`, [dedupKey]);
  return r.rows[0]?.incident_type ?? null;
}
