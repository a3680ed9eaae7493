/**
 * A health probe reached its failure threshold: open (or fold into) the
 * incident of its type with dedup key `probe:<name>`, the failures as
 * evidence. Defaults per probe type (config `incident_type` / `severity`
 * override them):
 *
 *   postgres → database_connection_failure, critical
 *   http     → service_down, high
 *   tcp      → service_down, high
 *   redis    → cache_failure, high
 */
import type { Config } from '../../config.ts';
import type { Severity } from '../../domain/severity.ts';
import type { Actor, Deps } from '../core/context.ts';
import { openIncident, type OpenIncidentResult } from './open-incident.ts';

type ProbeConfig = Config['probes'][number];

/** What the probe saw, for the timeline. */
export interface ProbeFailure {
  target: string;
  consecutive_failures: number;
  last_error: string | null;
  latency_ms: number | null;
  last_checked_at: string | null;
  last_ok_at: string | null;
}

export const PROBE_DEFAULTS: Readonly<Record<ProbeConfig['type'], { type: string; severity: Severity; what: string }>> = {
  postgres: { type: 'database_connection_failure', severity: 'critical', what: 'Database' },
  http: { type: 'service_down', severity: 'high', what: 'Service' },
  tcp: { type: 'service_down', severity: 'high', what: 'Service' },
  redis: { type: 'cache_failure', severity: 'high', what: 'Cache' },
};

export function probeActor(name: string): Actor {
  return { id: `probe:${name}`, name: `probe:${name}`, role: 'system' };
}

/** The incident type a probe opens. */
export function probeIncidentType(probe: ProbeConfig): string {
  return probe.incident_type ?? PROBE_DEFAULTS[probe.type].type;
}

export function openProbeIncident(deps: Deps, probe: ProbeConfig, f: ProbeFailure): Promise<OpenIncidentResult> {
  const d = PROBE_DEFAULTS[probe.type];
  return openIncident(
    deps,
    probeActor(probe.name),
    {
      type: probeIncidentType(probe),
      severity: probe.severity ?? d.severity,
      title: `${d.what} unreachable: probe ${probe.name} failing`,
      description: `Health probe "${probe.name}" (${probe.type} ${f.target}) failed ${f.consecutive_failures} times in a row: ${f.last_error ?? 'failed'}.`,
      dedup_key: `probe:${probe.name}`,
    },
    {
      source: `probe:${probe.name}`,
      evidence: {
        probe: probe.name,
        probe_type: probe.type,
        target: f.target,
        consecutive_failures: f.consecutive_failures,
        last_error: f.last_error,
        latency_ms: f.latency_ms,
        checked_at: f.last_checked_at,
        last_ok_at: f.last_ok_at,
      },
      attrs: { probe: probe.name },
    },
  );
}
