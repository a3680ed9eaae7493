/**
 * The Channel interface: one way to tell humans (or their tools) about an
 * incident. Implementations live one per file beside this one and are chosen
 * in one place, `registry.ts`.
 *
 * Contract for implementations:
 * - `send` never throws and never rejects: every failure is a DeliveryResult
 *   with `ok: false` and a `retryable` verdict, so callers can record it.
 * - `send` honours `signal` (abort) and applies its own timeout.
 * - Nothing secret (webhook URLs, SMTP credentials, ack links) goes into
 *   `error` strings or logs.
 */
import type { Severity } from '../domain/severity.ts';

export type NotificationKind =
  'incident.triggered' | 'incident.escalated' | 'incident.acknowledged' | 'incident.resolved' | 'reminder' | 'test';

/** The incident as the API shows it (times are RFC 3339 UTC strings). */
export interface NotificationIncident {
  id: string;
  /** The runbook section, e.g. `brute_force_attempt`. */
  type: string;
  severity: Severity;
  /** `triggered`, `acknowledged` or `resolved`. */
  status: string;
  title: string;
  description?: string;
  dedup_key?: string;
  created_at: string;
  ack_deadline: string;
  /** Link to the incident in the dashboard. */
  url?: string;
}

export interface Notification {
  kind: NotificationKind;
  incident: NotificationIncident;
  /** Escalation level, 1-based as humans and the runbook count ("Level 2: on-call engineer"). */
  level?: number;
  /** Signed single-use acknowledge link (a bearer credential: never log it). */
  ackUrl?: string;
  /** The person this copy is for, when a person (not a channel) is the target. */
  recipient?: { id: string; name?: string; email?: string };
  /** Free text, e.g. for `test` and `reminder`. */
  text?: string;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status or SMTP reply code, when there was one. */
  status?: number;
  /** Why it failed, safe to log and show. */
  error?: string;
  /** Whether trying again later may succeed. Meaningless when `ok`. */
  retryable: boolean;
  /** The peer asked to wait this long before retrying (HTTP Retry-After). */
  retryAfterMs?: number;
}

export interface Channel {
  readonly name: string;
  /** `webhook`, `slack`, `teams`, `email` or `log`. */
  readonly type: string;
  send(msg: Notification, signal?: AbortSignal): Promise<DeliveryResult>;
}

/** Default time one delivery attempt may take. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

/** A short human sentence for a notification, shared by the text-based channels. */
export function describeNotification(msg: Notification): string {
  const sev = msg.incident.severity.toUpperCase();
  const head: Record<NotificationKind, string> = {
    'incident.triggered': 'Incident triggered',
    'incident.escalated': `Incident escalated${msg.level !== undefined ? ` to level ${msg.level}` : ''}`,
    'incident.acknowledged': 'Incident acknowledged',
    'incident.resolved': 'Incident resolved',
    reminder: 'Reminder: incident still open',
    test: 'Test notification',
  };
  const text = msg.text ? ` ${msg.text}` : '';
  return `[${sev}] ${head[msg.kind]}: ${msg.incident.title} (${msg.incident.type}, ${msg.incident.id}).${text}`;
}
