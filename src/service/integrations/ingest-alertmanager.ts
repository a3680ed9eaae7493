/**
 * Prometheus Alertmanager webhook (payload `version: "4"`): one incident per
 * alert group, alerts tracked per fingerprint.
 *
 * - The group's `groupKey` is the incident's dedup key (`am:<sha256 prefix>`);
 *   its type is the `alertname` label slugged (`HighErrorRate` →
 *   `high_error_rate`), or `alert`, chosen when the group is first seen.
 * - A firing alert not firing before (or no open incident) opens the
 *   incident, or adds a signal to it, or re-opens it within the re-open
 *   window. A re-sent notification with nothing new changes nothing.
 * - An alert missing from a complete payload (`truncatedAlerts: 0`) is
 *   resolved: Alertmanager sends the whole group every time.
 * - When every alert of the group is resolved, the incident is resolved as
 *   `integration:<name>`.
 * - Severity from the `severity` label through the integration's map
 *   (critical/error → critical, warning → high, info → low by default); the
 *   `runbook_url` annotation goes to the incident's attrs and the timeline.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { severityRank, type Severity } from '../../domain/severity.ts';
import type { Incident } from '../../domain/incident.ts';
import { findOpenByDedup } from '../../store/incident-repo.ts';
import { incidentTypeForKey } from '../../store/integration-repo.ts';
import { listGroupAlerts, upsertGroupAlerts, resolveMissingAlerts } from '../../store/integration-alert-repo.ts';
import type { Deps } from '../core/context.ts';
import { parseInput } from '../core/validate.ts';
import { openIncident } from '../incidents/open-incident.ts';
import { resolveIncident } from '../incidents/resolve-incident.ts';
import { authenticateIntegration } from './query-integrations.ts';
import { integrationActor, mapSeverity, slugType } from './integration-severity.ts';

const labels = z.record(z.string(), z.string()).default({});

export const alertmanagerAlert = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels,
    annotations: labels,
    startsAt: z.string().optional(),
    endsAt: z.string().optional(),
    generatorURL: z.string().optional(),
    fingerprint: z.string().min(1).max(200),
  })
  .loose();

export const alertmanagerPayload = z
  .object({
    version: z.literal('4', { message: 'only webhook payload version "4" is understood' }),
    groupKey: z.string().min(1).max(20_000),
    truncatedAlerts: z.number().int().min(0).default(0),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string().optional(),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: z.string().optional(),
    alerts: z.array(alertmanagerAlert).max(10_000),
  })
  .loose();

export interface AlertmanagerResult {
  status: 'ok';
  incident_id: string | null;
  outcome: 'created' | 'appended' | 'reopened' | 'resolved' | 'unchanged';
  firing: number;
  resolved: number;
}

/** Go's zero time (`0001-01-01T00:00:00Z`) means "unset". */
function time(s: string | undefined): Date | null {
  if (!s || s.startsWith('0001-')) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

export async function ingestAlertmanager(deps: Deps, key: string, raw: unknown, ip?: string): Promise<AlertmanagerResult> {
  const integration = await authenticateIntegration(deps, key, 'alertmanager');
  const p = parseInput(alertmanagerPayload, raw, 'Alertmanager payload');
  const actor = integrationActor(integration, ip);
  const dedupKey = `am:${createHash('sha256').update(p.groupKey).digest('hex').slice(0, 32)}`;
  const firing = p.alerts.filter((a) => a.status === 'firing');
  const alertname = p.commonLabels.alertname ?? p.groupLabels.alertname ?? firing[0]?.labels.alertname ?? p.alerts[0]?.labels.alertname;
  const type = await incidentTypeForKey(deps.db, {
    dedupKey,
    integrationId: integration.id,
    type: slugType(alertname) ?? 'alert',
    now: deps.clock(),
  });

  const wasFiring = new Set((await listGroupAlerts(deps.db, dedupKey)).filter((a) => a.status === 'firing').map((a) => a.fingerprint));
  let incident: Incident | null = await findOpenByDedup(deps.db, type, dedupKey);
  let outcome: AlertmanagerResult['outcome'] = 'unchanged';
  const fresh = firing.filter((a) => !wasFiring.has(a.fingerprint));
  if (firing.length > 0 && (fresh.length > 0 || !incident)) {
    const severity = firing
      .map((a) => mapSeverity(integration, a.labels.severity ?? p.commonLabels.severity))
      .reduce<Severity>((worst, s) => (severityRank(s) > severityRank(worst) ? s : worst), 'low');
    const runbookUrl = p.commonAnnotations.runbook_url ?? firing.find((a) => a.annotations.runbook_url)?.annotations.runbook_url;
    const summary = p.commonAnnotations.summary ?? firing[0]!.annotations.summary ?? alertname ?? 'Alertmanager alert';
    const title = `${summary}${firing.length > 1 ? ` (${firing.length} alerts)` : ''}`.slice(0, 300);
    const description = [
      p.commonAnnotations.description ?? firing[0]!.annotations.description,
      `Alertmanager group ${p.groupKey}${p.receiver ? ` (receiver ${p.receiver})` : ''}`,
      ...firing.slice(0, 20).map(
        (a) =>
          `- ${Object.entries(a.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
      ),
      runbookUrl ? `Runbook: ${runbookUrl}` : undefined,
      p.externalURL ? `Alertmanager: ${p.externalURL}` : undefined,
    ]
      .filter((x): x is string => !!x)
      .join('\n')
      .slice(0, 20_000);
    const r = await openIncident(
      deps,
      actor,
      { type, severity, title, description, dedup_key: dedupKey },
      {
        source: `alertmanager:${integration.name}`,
        detectedAt: time(fresh[0]?.startsAt) ?? undefined,
        evidence: {
          integration: integration.name,
          group_key: p.groupKey,
          ...(runbookUrl ? { runbook_url: runbookUrl } : {}),
          alerts: firing
            .slice(0, 20)
            .map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, starts_at: a.startsAt, generator_url: a.generatorURL })),
        },
        attrs: {
          integration: integration.name,
          group_key: p.groupKey,
          alertname: alertname ?? null,
          ...(runbookUrl ? { runbook_url: runbookUrl } : {}),
          ...(p.externalURL ? { external_url: p.externalURL } : {}),
        },
      },
    );
    incident = r.incident;
    outcome = r.outcome;
  }

  const now = deps.clock();
  await deps.db.tx(async (q) => {
    await listGroupAlerts(q, dedupKey, true); // serialize concurrent posts for one group
    await upsertGroupAlerts(
      q,
      dedupKey,
      p.alerts.map((a) => ({
        fingerprint: a.fingerprint,
        status: a.status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: time(a.startsAt),
        endsAt: time(a.endsAt),
      })),
      incident?.id ?? null,
      now,
    );
    if (p.truncatedAlerts === 0)
      await resolveMissingAlerts(
        q,
        dedupKey,
        p.alerts.map((a) => a.fingerprint),
        now,
      );
  });

  const all = await listGroupAlerts(deps.db, dedupKey);
  if (incident && incident.status !== 'resolved' && all.length > 0 && all.every((a) => a.status === 'resolved')) {
    try {
      incident = await resolveIncident(deps, actor, incident.id, `all ${all.length} alert(s) of the Alertmanager group resolved`);
      outcome = 'resolved';
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err; // resolved meanwhile: fine
    }
  }
  return {
    status: 'ok',
    incident_id: incident?.id ?? null,
    outcome,
    firing: all.filter((a) => a.status === 'firing').length,
    resolved: all.filter((a) => a.status === 'resolved').length,
  };
}
