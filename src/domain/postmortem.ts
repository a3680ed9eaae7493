/**
 * Post-mortems: what Firebreak drafts from an incident's records when it
 * resolves, and when a post-mortem is due and reminded. Pure (no I/O, no
 * clock): callers pass `now`.
 *
 * Status table (any → any is allowed; the meaning, not a gate):
 *   draft      Firebreak wrote it; people fill in root cause, lessons …
 *   in_review  the post-mortem meeting is reviewing it
 *   published  done: no longer overdue, no more reminders
 * A later resolution of the same incident re-drafts the facts and sends a
 * published post-mortem back to draft.
 */
export const POSTMORTEM_STATUSES = ['draft', 'in_review', 'published'] as const;
export type PostmortemStatus = (typeof POSTMORTEM_STATUSES)[number];

/** The incident fields the draft reads (structurally the store's Incident). */
export interface PostmortemIncident {
  id: string;
  type: string;
  severity: string;
  title: string;
  dedup_key: string | null;
  detected_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  reopen_count: number;
  detection_count: number;
}

/** One incident timeline entry (the store's TimelineEntry is this type). */
export interface PostmortemTimelineEntry {
  id: string;
  incident_id: string;
  at: string;
  kind: string;
  actor: string;
  message: string;
  data: Record<string, unknown> | null;
}

export interface PostmortemFacts {
  incident: PostmortemIncident;
  generated_summary: string;
  impact: { start: string; end: string; duration_s: number };
  tta_s: number | null;
  ttr_s: number | null;
  timeline: PostmortemTimelineEntry[];
  detections: { timeline_id: string; at: string; kind: string; actor: string; message: string; evidence: unknown }[];
  actions: {
    timeline_id: string;
    at: string;
    kind: string;
    actor: string;
    message: string;
    action: string | null;
    outcome: string | null;
    error: string | null;
    automated: boolean;
  }[];
  escalations: { timeline_id: string; at: string; kind: string; actor: string; message: string; level: number | null }[];
  responders: string[];
  sla_breaches: { timeline_id: string; at: string; deadline: string | null; message: string }[];
}

const DETECTION_KINDS = new Set(['opened', 'signal']);
const ACTION_KINDS = new Set(['action', 'step']);
const ESCALATION_KINDS = new Set(['escalated', 'notified', 'acknowledged']);
/** Kinds in which a person shows up as having responded. */
const RESPONSE_KINDS = new Set(['acknowledged', 'note', 'step', 'action', 'resolved', 'reopened', 'mitigated']);

/** Actors that are Firebreak itself or a machine: `system`, `rule:…`, `runbook:…`, `integration:…`. */
export function isAutomatedActor(actor: string): boolean {
  return actor === 'system' || /^(rule|runbook|integration):/.test(actor);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** `5400` → `1h30m`, `42` → `42s`, `0` → `0s`. */
export function formatSeconds(s: number | null): string {
  if (s === null) return '-';
  if (s === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(s);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || `${s}s`;
}

/**
 * Drafts the facts of a post-mortem from a resolved incident and its whole
 * timeline (in id order). Every list keeps the timeline ids it came from.
 */
export function draftFacts(incident: PostmortemIncident, timeline: readonly PostmortemTimelineEntry[]): PostmortemFacts {
  if (!incident.resolved_at) throw new Error(`incident ${incident.id} is not resolved`);
  const detected = Date.parse(incident.detected_at);
  const resolved = Date.parse(incident.resolved_at);
  const tta_s = incident.acknowledged_at ? (Date.parse(incident.acknowledged_at) - detected) / 1000 : null;
  const ttr_s = (resolved - detected) / 1000;
  const responders: string[] = [];
  for (const e of timeline) {
    if (RESPONSE_KINDS.has(e.kind) && !isAutomatedActor(e.actor) && !responders.includes(e.actor)) responders.push(e.actor);
  }
  const breaches = timeline.filter((e) => e.kind === 'sla_breach');
  const facts: Omit<PostmortemFacts, 'generated_summary'> = {
    incident: { ...incident },
    impact: { start: incident.detected_at, end: incident.resolved_at, duration_s: ttr_s },
    tta_s,
    ttr_s,
    timeline: timeline.map((e) => ({ ...e })),
    detections: timeline
      .filter((e) => DETECTION_KINDS.has(e.kind))
      .map((e) => ({ timeline_id: e.id, at: e.at, kind: e.kind, actor: e.actor, message: e.message, evidence: e.data?.evidence ?? null })),
    actions: timeline
      .filter((e) => ACTION_KINDS.has(e.kind))
      .map((e) => ({
        timeline_id: e.id,
        at: e.at,
        kind: e.kind,
        actor: e.actor,
        message: e.message,
        action: str(e.data?.action) ?? str(e.data?.step),
        outcome: str(e.data?.outcome) ?? str(e.data?.status),
        error: str(e.data?.error),
        automated: isAutomatedActor(e.actor),
      })),
    escalations: timeline
      .filter((e) => ESCALATION_KINDS.has(e.kind))
      .map((e) => ({
        timeline_id: e.id,
        at: e.at,
        kind: e.kind,
        actor: e.actor,
        message: e.message,
        level: typeof e.data?.level === 'number' ? e.data.level : null,
      })),
    responders,
    sla_breaches: breaches.map((e) => ({ timeline_id: e.id, at: e.at, deadline: str(e.data?.deadline), message: e.message })),
  };
  return { ...facts, generated_summary: summarize(facts) };
}

function summarize(f: Omit<PostmortemFacts, 'generated_summary'>): string {
  const i = f.incident;
  const parts = [
    `${i.title}: a ${i.severity} ${i.type} incident${i.dedup_key ? ` (${i.dedup_key})` : ''} detected at ${i.detected_at} and resolved at ${i.resolved_at}${i.resolved_by ? ` by ${i.resolved_by}` : ''}, ${formatSeconds(f.ttr_s)} later.`,
    i.acknowledged_at
      ? `It was acknowledged${i.acknowledged_by ? ` by ${i.acknowledged_by}` : ''} after ${formatSeconds(f.tta_s)}.`
      : 'It was never acknowledged.',
    `${f.detections.length} detection${f.detections.length === 1 ? '' : 's'}, ${f.actions.length} action${f.actions.length === 1 ? '' : 's'}, ${f.escalations.filter((e) => e.kind === 'escalated').length} escalation${f.escalations.filter((e) => e.kind === 'escalated').length === 1 ? '' : 's'}.`,
  ];
  if (f.sla_breaches.length > 0)
    parts.push(`The acknowledgement deadline was missed (${f.sla_breaches.length} SLA breach${f.sla_breaches.length === 1 ? '' : 'es'}).`);
  if (i.reopen_count > 0) parts.push(`It was re-opened ${i.reopen_count} time${i.reopen_count === 1 ? '' : 's'}.`);
  return parts.join(' ');
}

/** Overdue: not published and the due time has come. */
export function isOverdue(p: { status: PostmortemStatus; due_at: string }, nowMs: number): boolean {
  return p.status !== 'published' && nowMs >= Date.parse(p.due_at);
}

/**
 * Reminder slots of an overdue post-mortem (or any due date reminded every
 * `everyMs`): slot k is the interval [due + k·every, due + (k+1)·every). A
 * reminder firing at `nowMs` belongs to slot `reminderSlot(now)`; the next one
 * is scheduled at the start of the following slot, so however late the
 * scheduler runs, each interval gets at most one reminder.
 */
export function reminderSlot(dueMs: number, everyMs: number, tMs: number): number {
  return tMs < dueMs ? -1 : Math.floor((tMs - dueMs) / everyMs);
}

/** Where the next reminder goes after `nowMs`: the start of the next slot (slot 0 = the due time). */
export function nextReminderSlot(dueMs: number, everyMs: number, nowMs: number): { slot: number; atMs: number } {
  const slot = reminderSlot(dueMs, everyMs, nowMs) + 1;
  return { slot, atMs: dueMs + slot * everyMs };
}
