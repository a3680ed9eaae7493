/**
 * Incident lifecycle: pure transition rules (no I/O, no clock).
 *
 * Transition table (from → verb → to; anything else is a conflict):
 *
 *   triggered    --acknowledge-->  acknowledged   (sets acknowledged_at once; stops escalation)
 *   triggered    --resolve------>  resolved       (sets resolved_at; unacknowledged resolve is allowed)
 *   acknowledged --resolve------>  resolved
 *   acknowledged --reopen------->  triggered      (back to unacknowledged: new ack deadline, escalation restarts)
 *   resolved     --reopen------->  triggered      (same problem back; new ack deadline; reopen_count + 1)
 *   triggered    --reopen------->  conflict       (already open and unacknowledged)
 *   acknowledged --acknowledge-->  conflict       (already acknowledged)
 *   resolved     --acknowledge-->  conflict
 *   resolved     --resolve------>  conflict
 *
 * `mitigate` is a milestone, not a status: it may be recorded once while the
 * incident is open (triggered or acknowledged).
 */
import type { Severity } from './severity.ts';

/** An incident as stored and as the API returns it (GET /api/v1/incidents/{id}); times are ISO-8601 UTC. */
export interface Incident {
  id: string;
  type: string;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  description: string | null;
  dedup_key: string | null;
  source: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  detected_at: string;
  ack_deadline: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  mitigated_at: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  sla_breached: boolean;
  sla_breached_at: string | null;
  reopen_count: number;
  detection_count: number;
  attrs: Record<string, unknown>;
  /** Campaigns: keys grouped into this incident (0 when its rule does not group). */
  members?: number;
  /** How many members the timeline has announced so far. */
  members_announced?: number;
  /** Event time of the last opening or join of a campaign (null when its rule does not group). */
  grew_at?: string | null;
}

export const INCIDENT_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type IncidentVerb = 'acknowledge' | 'resolve' | 'reopen';

const TRANSITIONS: Readonly<Record<IncidentStatus, Partial<Record<IncidentVerb, IncidentStatus>>>> = {
  triggered: { acknowledge: 'acknowledged', resolve: 'resolved' },
  acknowledged: { resolve: 'resolved', reopen: 'triggered' },
  resolved: { reopen: 'triggered' },
};

/** The status after `verb`, or null when the transition is impossible. */
export function nextStatus(from: IncidentStatus, verb: IncidentVerb): IncidentStatus | null {
  return TRANSITIONS[from][verb] ?? null;
}

export function isOpen(status: IncidentStatus): boolean {
  return status !== 'resolved';
}

/** The acknowledgement deadline of an incident opened (or re-opened) at `fromMs`. */
export function ackDeadline(severity: Severity, fromMs: number, deadlinesMs: Readonly<Record<Severity, number>>): number {
  return fromMs + deadlinesMs[severity];
}

/** Whether a detection for a resolved incident re-opens it instead of opening a new one. */
export function withinReopenWindow(resolvedAtMs: number, nowMs: number, reopenWindowMs: number): boolean {
  return nowMs - resolvedAtMs <= reopenWindowMs;
}

/** MTTA/MTTR inputs for one incident, in milliseconds (null when not reached). */
export function responseTimes(i: { detectedAtMs: number; acknowledgedAtMs: number | null; resolvedAtMs: number | null }): {
  ttaMs: number | null;
  ttrMs: number | null;
} {
  return {
    ttaMs: i.acknowledgedAtMs === null ? null : i.acknowledgedAtMs - i.detectedAtMs,
    ttrMs: i.resolvedAtMs === null ? null : i.resolvedAtMs - i.detectedAtMs,
  };
}
