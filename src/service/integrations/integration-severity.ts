/**
 * How external alerts become Firebreak incidents: their severity (a label or
 * field mapped through the integration's map) and their incident type (a
 * name slugged to the incident type syntax).
 */
import type { Severity } from '../../domain/severity.ts';
import type { IntegrationRecord } from '../../store/integration-repo.ts';
import type { Actor } from '../core/context.ts';

/** Alertmanager `severity` labels and PagerDuty severities; an integration's `severity_map` adds to and overrides it. */
export const DEFAULT_SEVERITY_MAP: Readonly<Record<string, Severity>> = Object.freeze({
  critical: 'critical',
  error: 'critical',
  warning: 'high',
  info: 'low',
});

/** The Firebreak severity of an external one; the integration's default when absent or unknown. */
export function mapSeverity(
  integration: Pick<IntegrationRecord, 'severity_map' | 'default_severity'>,
  external: string | undefined,
): Severity {
  if (!external) return integration.default_severity;
  const key = external.trim().toLowerCase();
  return integration.severity_map[key] ?? DEFAULT_SEVERITY_MAP[key] ?? integration.default_severity;
}

/** `HighErrorRate` → `high_error_rate`, `ping failure` → `ping_failure`; null when nothing usable is left. */
export function slugType(name: string | undefined): string | null {
  if (!name) return null;
  let s = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '');
  s = s.slice(0, 64).replace(/_+$/, '');
  return s.length > 0 ? s : null;
}

/** The actor of everything an integration does: `integration:<name>`. */
export function integrationActor(i: Pick<IntegrationRecord, 'name'>, ip?: string): Actor {
  return { id: `integration:${i.name}`, name: `integration:${i.name}`, role: 'system', ip };
}
