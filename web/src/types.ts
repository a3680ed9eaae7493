/**
 * Shapes of the Firebreak HTTP API as the dashboard reads them (docs/design.md
 * "Interfaces"). Incidents, severities, statuses and permissions are the
 * server's own types (src/domain, pure and shared); the rest are the fields
 * the dashboard reads, kept lenient where the server adds to them.
 */
import type { Incident as ApiIncident } from '../../src/domain/incident.ts';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../src/domain/incident.ts';
import { SEVERITIES as API_SEVERITIES, type Severity } from '../../src/domain/severity.ts';
import type { Permission } from '../../src/domain/roles.ts';

export type { Severity, IncidentStatus, Permission };

export const SEVERITIES: readonly Severity[] = API_SEVERITIES;
export const STATUSES: readonly IncidentStatus[] = INCIDENT_STATUSES;
/** The runbook sections of the built-in pack; other types appear when incidents use them. */
export const KNOWN_TYPES = [
  'brute_force_attempt',
  'account_compromise',
  'ddos',
  'high_error_rate',
  'performance_degradation',
  'database_connection_failure',
  'data_corruption',
];

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface SessionView {
  role: string;
  name: string;
  csrf_token: string;
  permissions: Permission[];
  /** Optional endpoints present on this server (see src/http/routes/session.ts). */
  features: Record<string, boolean>;
}

export type StepKind = 'action' | 'command' | 'manual';
export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'awaiting_approval' | 'approved' | 'skipped' | 'done';

export interface RunStep {
  id: string;
  title?: string;
  kind?: StepKind;
  state?: StepState;
  /** The domain's name for `state`; either is accepted. */
  status?: StepState;
  output?: string;
  error?: string;
  command?: string;
  manual?: string;
  action?: string;
  description?: string;
  approved_by?: string;
  completed_by?: string;
}

export interface RunCheck {
  id: string;
  title?: string;
  kind?: string;
  state?: string;
  status?: string;
  /** The server's view: true passing, false failing, null not known yet. */
  ok?: boolean | null;
  manual?: string;
}

export interface Run {
  steps?: RunStep[];
  checks?: RunCheck[];
  runbook?: { title?: string; immediate_actions?: Partial<RunStep>[]; verification?: Partial<RunCheck>[] };
  finished?: boolean;
}

export interface EscalationLevel {
  name?: string | null;
  targets?: string[];
  notify?: string[];
  timeout?: string | null;
}

/**
 * Either the compact form (`incident.escalation`: level, levels, notified) or
 * the answer of GET /api/v1/incidents/{id}/escalation (policy, level,
 * notifications). `level` is 0-based in both.
 */
export interface Escalation {
  level?: number | null;
  levels?: EscalationLevel[];
  notified?: unknown[];
  policy?: string | { name: string; repeat?: number; levels: EscalationLevel[] } | null;
  cycle?: number | null;
  next_at?: string | null;
  stopped?: boolean;
  exhausted?: boolean;
  notifications?: {
    target: string;
    channel: string;
    recipient?: string | null;
    status: string;
    level?: number;
    sent_at?: string | null;
    created_at?: string;
    last_error?: string | null;
  }[];
}

/**
 * An incident as GET /api/v1/incidents/{id} returns it: the server's Incident
 * (fields the list and the stubs of the dashboard's tests may leave out are
 * optional) with the runbook run and escalation that the detail view adds.
 */
export type Incident = Pick<
  ApiIncident,
  | 'id'
  | 'type'
  | 'severity'
  | 'status'
  | 'title'
  | 'description'
  | 'dedup_key'
  | 'created_at'
  | 'ack_deadline'
  | 'acknowledged_at'
  | 'resolved_at'
> &
  Partial<Omit<ApiIncident, 'attrs'>> & {
    run?: Run | null;
    escalation?: Escalation | null;
  };

export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  actor: string;
  message: string;
  data?: Record<string, unknown> | null;
}

export interface Decision {
  id: string;
  scope: string;
  value: string;
  type: string;
  until: string | null;
  origin?: string;
  reason?: string;
  incident_id?: string | null;
  ended_at?: string | null;
}

export interface AllowEntry {
  id: string;
  cidr: string;
  note?: string | null;
  /** `config` entries come from the configuration file and are changed there, not through the API. */
  source?: 'builtin' | 'config' | 'api';
  created_by?: string;
}

export interface Schedule {
  name: string;
  time_zone?: string;
  now?: { person?: string | null; until?: string | null } | null;
  next?: { person?: string | null; from?: string | null } | null;
}

export interface Bucket {
  t: string | number;
  events?: number;
  detections?: number;
  errors?: number;
}
