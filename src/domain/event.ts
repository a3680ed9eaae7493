import type { RuleSpec } from './rules/rule-spec.ts';

/**
 * Event: one normalized fact (docs/design.md "Vocabulary").
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

/** Detection: one firing of a rule for a key (docs/design.md "Vocabulary"). */
export interface Detection {
  rule: string;
  /** `ip:<address>`, `user:<id>` or `global`. */
  key: string;
  /** Microseconds since epoch: the timestamp of the event that fired. */
  atUs: number;
  value: number;
  /**
   * Distinct-value rules: the values held in the window when it fired (the
   * addresses of a credential-stuffing attack), bounded by the window's own
   * distinct set. Absent for other rules.
   */
  contributors?: string[];
}

/** One detection to handle, with the rule that fired it. */
export interface DetectionJob {
  d: Detection;
  rule: RuleSpec;
}

/**
 * What handling a batch of detections may leave to do: enforcement is done
 * when the handler resolves; `behind` writes the rest (run records, timeline,
 * audit). The caller runs it, and only then counts the batch handled.
 */
export interface DetectionsHandled {
  behind?: () => Promise<void>;
}
