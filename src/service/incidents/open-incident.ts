/**
 * Opens an incident, or folds the signal into the open one with the same type
 * and dedup key (docs/design.md "Incidents", deduplication), or re-opens the last resolved one
 * when the same problem comes back within the re-open window.
 */
import { z } from 'zod';
import { SEVERITIES, severityRank, type Severity } from '../../domain/severity.ts';
import { type Incident, ackDeadline, withinReopenWindow } from '../../domain/incident.ts';
import { insertIncident, findOpenByDedup, findLastResolvedByDedup, updateIncident } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { scheduleTimer } from '../../store/timer-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';

export const openIncidentInput = z
  .object({
    type: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must be 1-64 characters: lowercase letters, digits, _ . -, starting with a letter'),
    severity: z.enum(SEVERITIES),
    title: z.string().trim().min(1, 'must not be empty').max(300),
    description: z.string().max(20_000).optional(),
    dedup_key: z.string().min(1).max(500).optional(),
  })
  .strict();
export type OpenIncidentInput = z.infer<typeof openIncidentInput>;

export interface OpenIncidentOptions {
  source?: string;
  /** When the problem was detected (the event's own time); defaults to now. */
  detectedAt?: Date;
  /** Extra data for the timeline entry (detection, evidence). */
  evidence?: Record<string, unknown>;
  attrs?: Record<string, unknown>;
}

export interface OpenIncidentResult {
  incident: Incident;
  outcome: 'created' | 'appended' | 'reopened';
}

export const ACK_TIMER = 'ack_deadline';

export async function scheduleAckTimer(q: Queryable, incident: Incident, now: Date): Promise<void> {
  await scheduleTimer(q, {
    kind: ACK_TIMER,
    ref: incident.id,
    dueAt: new Date(incident.ack_deadline),
    payload: { deadline: incident.ack_deadline },
    now,
  });
}

export async function openIncident(
  deps: Deps,
  actor: Actor,
  rawInput: unknown,
  opts: OpenIncidentOptions = {},
): Promise<OpenIncidentResult> {
  authorize(actor, 'incidents:write');
  const input = parseInput(openIncidentInput, rawInput);
  const result = await deps.db.tx(async (q) => {
    const now = deps.clock();
    for (let attempt = 0; attempt < 3; attempt++) {
      if (input.dedup_key) {
        const open = await findOpenByDedup(q, input.type, input.dedup_key, true);
        if (open) return { incident: await appendSignal(q, deps, actor, open, input, opts, now), outcome: 'appended' as const };
        const last = await findLastResolvedByDedup(q, input.type, input.dedup_key);
        if (last?.resolved_at && withinReopenWindow(Date.parse(last.resolved_at), now.getTime(), deps.config.reopen_window)) {
          return { incident: await reopenForSignal(q, deps, actor, last, input, opts, now), outcome: 'reopened' as const };
        }
      }
      const created = await insertIncident(q, {
        type: input.type,
        severity: input.severity,
        title: input.title,
        description: input.description ?? null,
        dedup_key: input.dedup_key ?? null,
        source: opts.source ?? 'api',
        created_by: actor.name,
        now,
        detected_at: opts.detectedAt ?? now,
        ack_deadline: new Date(ackDeadline(input.severity, now.getTime(), deps.config.ackDeadlinesMs)),
        attrs: opts.attrs,
      });
      if (!created) continue; // lost a race with a concurrent open of the same key: fold into it
      await appendTimeline(q, {
        incidentId: created.id,
        at: now,
        kind: 'opened',
        actor: actor.name,
        message: `Incident opened: ${created.title} (${created.severity}); acknowledge by ${created.ack_deadline}`,
        data: { source: created.source, dedup_key: created.dedup_key, ...(opts.evidence ? { evidence: opts.evidence } : {}) },
      });
      await scheduleAckTimer(q, created, now);
      await writeAudit(q, {
        at: now,
        actor: actor.id,
        action: 'incident.open',
        target: `incident:${created.id}`,
        ip: actor.ip,
        details: { type: created.type, severity: created.severity },
      });
      return { incident: created, outcome: 'created' as const };
    }
    throw new Error('could not open or find the incident after 3 attempts');
  });
  const type = result.outcome === 'created' ? 'incident.opened' : result.outcome === 'reopened' ? 'incident.reopened' : 'incident.appended';
  deps.bus.publish({ type, incident: result.incident });
  return result;
}

async function appendSignal(
  q: Queryable,
  deps: Deps,
  actor: Actor,
  open: Incident,
  input: OpenIncidentInput,
  opts: OpenIncidentOptions,
  now: Date,
): Promise<Incident> {
  const raise = severityRank(input.severity) > severityRank(open.severity);
  const updated = await updateIncident(q, open.id, {
    detection_count: open.detection_count + 1,
    updated_at: now,
    ...(raise ? { severity: input.severity as Severity } : {}),
  });
  await appendTimeline(q, {
    incidentId: open.id,
    at: now,
    kind: 'signal',
    actor: actor.name,
    message: `Same problem seen again (${updated.detection_count} signals)${raise ? `; severity raised to ${input.severity}` : ''}: ${input.title}`,
    data: { source: opts.source ?? 'api', severity: input.severity, ...(opts.evidence ? { evidence: opts.evidence } : {}) },
  });
  await writeAudit(q, { at: now, actor: actor.id, action: 'incident.signal', target: `incident:${open.id}`, ip: actor.ip });
  return updated;
}

async function reopenForSignal(
  q: Queryable,
  deps: Deps,
  actor: Actor,
  last: Incident,
  input: OpenIncidentInput,
  opts: OpenIncidentOptions,
  now: Date,
): Promise<Incident> {
  const severity = severityRank(input.severity) > severityRank(last.severity) ? input.severity : last.severity;
  const updated = await updateIncident(q, last.id, {
    status: 'triggered',
    severity,
    acknowledged_at: null,
    acknowledged_by: null,
    mitigated_at: null,
    resolved_at: null,
    resolved_by: null,
    reopen_count: last.reopen_count + 1,
    detection_count: last.detection_count + 1,
    ack_deadline: new Date(ackDeadline(severity, now.getTime(), deps.config.ackDeadlinesMs)),
    updated_at: now,
  });
  await appendTimeline(q, {
    incidentId: last.id,
    at: now,
    kind: 'reopened',
    actor: actor.name,
    message: `Re-opened: the same problem came back within the re-open window: ${input.title}`,
    data: { source: opts.source ?? 'api', ...(opts.evidence ? { evidence: opts.evidence } : {}) },
  });
  await scheduleAckTimer(q, updated, now);
  await writeAudit(q, {
    at: now,
    actor: actor.id,
    action: 'incident.reopen',
    target: `incident:${last.id}`,
    ip: actor.ip,
    details: { reason: 'signal' },
  });
  return updated;
}
