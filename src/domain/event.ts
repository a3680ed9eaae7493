import type { RuleSpec } from './rules/rule-spec.ts';

/**
 * Event: one normalized fact (DESIGN.md "Vocabulary").
 *
 * Inside Firebreak the timestamp is `tsUs`, an integer count of microseconds
 * since the Unix epoch: sshd logs carry microseconds, and window boundaries
 * (`t - window < s <= t`) must be exact, which floating milliseconds are not.
 * The HTTP API and NDJSON use `ts` as an RFC 3339 string.
 */
export interface FbEvent {
  type: string;
  /** Microseconds since the Unix epoch, an integer. */
  tsUs: number;
  /** Canonical textual form (IPv4 dotted quad, IPv6 RFC 5952). */
  ip?: string;
  user_id?: string;
  method?: string;
  route?: string;
  status?: number;
  bytes?: number;
  user_agent?: string;
  latency_ms?: number;
  message?: string;
  attrs?: Record<string, unknown>;
}

/** Event types used by the default rules. Others are accepted and stored. */
export const KNOWN_EVENT_TYPES = [
  'auth.login_failed',
  'auth.login_succeeded',
  'http.request',
  'app.error',
  'db.connection_error',
  'data.integrity_error',
] as const;

/** Detection: one firing of a rule for a key (DESIGN.md). */
export interface Detection {
  rule: string;
  /** `ip:<address>`, `user:<id>` or `global`. */
  key: string;
  /** Microseconds since epoch: the timestamp of the event that fired. */
  atUs: number;
  value: number;
}

/** One detection to handle, with the rule that fired it. */
export interface DetectionJob {
  d: Detection;
  rule: RuleSpec;
}
