/**
 * The resolved form of a detection rule (docs/design.md "Default rules"): what the
 * RuleEngine runs. Produced by `resolveRules` from the defaults and the
 * `rules:` section of the configuration. Times are integer microseconds
 * (like `FbEvent.tsUs`) except `banMs`, which feeds actions.
 */
import type { Severity } from '../severity.ts';

/** Comparison of one event field with a constant. */
export type MatchOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';

/**
 * One condition on an event field. The field is read from the event itself
 * (`status`, `route`, ...) and, when absent there, from `attrs`. An event
 * lacking the field fails the condition, whatever the op (also `ne`).
 */
export interface MatchCondition {
  field: string;
  op: MatchOp;
  value: string | number;
}

/** Events of `type` that satisfy every condition of `where` count for the rule. */
export interface EventMatch {
  type: string;
  where?: MatchCondition[];
}

/** What groups events into windows: `ip:<ip>`, `user:<user_id>`, `global`, `route:<route>`. */
export type RuleKey = 'ip' | 'user_id' | 'global' | 'route';

/** What is measured over a window. */
export type RuleValue =
  | { kind: 'count' }
  | { kind: 'distinct'; field: string }
  /** Nearest-rank percentile `p` (0 < p <= 100) of a numeric field, evaluated only with at least `min_samples` samples. */
  | { kind: 'percentile'; field: string; p: number; min_samples: number };

/** An action the rule asks for when it fires (run by the respond layer). */
export interface ActionRequest {
  /** `block_ip`, `rate_limit`, `lock_account`, `revoke_sessions`, `force_password_reset`, `notify`, `run_command`, `webhook`, ... */
  action: string;
  /** Action parameters, for example `{ duration_ms: 3600000 }` or `{ target: 'security' }`. */
  params?: Record<string, unknown>;
}

/** A rule ready to run. */
export interface RuleSpec {
  name: string;
  description: string;
  /** The runbook section (incident type) a detection opens. */
  incident_type: string;
  severity: Severity;
  /** Any of these (OR); an event matching several entries counts once. */
  match: EventMatch[];
  key: RuleKey;
  value: RuleValue;
  threshold: number;
  /** `gte`: fire when the value reaches the threshold; `gt`: when it exceeds it. */
  op: 'gte' | 'gt';
  /** Sliding window length, microseconds (> 0). */
  windowUs: number;
  /** Quiet time per key after a firing, microseconds (>= 0). */
  cooldownUs: number;
  /** Ban / rate-limit duration in milliseconds, for rules that ban. */
  banMs?: number;
  /** Keys this rule holds at most (`detection.max_keys`); default the engine's. */
  maxKeys?: number;
  actions: ActionRequest[];
  /**
   * Campaigns: a detection for a new key joins an open incident of this rule
   * that grew within this many microseconds (domain/campaign.ts). Absent: every
   * key has its own incident.
   */
  groupWindowUs?: number;
}

/**
 * One entry of the `rules:` configuration section, durations already in
 * milliseconds. Structurally the same as `RuleOverride` of src/config.ts
 * (domain/ imports nothing outside domain/, so the shape is repeated here).
 */
export interface RuleOverrideInput {
  enabled?: boolean;
  description?: string;
  incident_type?: string;
  severity?: Severity;
  match?: readonly { type: string; where?: readonly MatchCondition[] }[];
  key?: RuleKey;
  value?: { kind: 'count' } | { kind: 'distinct'; field: string } | { kind: 'percentile'; field: string; p: number; min_samples?: number };
  threshold?: number;
  op?: 'gte' | 'gt';
  window?: number;
  cooldown?: number;
  ban?: number;
  min_samples?: number;
  actions?: readonly Readonly<Record<string, unknown>>[];
  group?: false | { window: number };
}
