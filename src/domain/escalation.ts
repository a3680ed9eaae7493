/**
 * Escalation: the pure state machine that decides which level of an
 * escalation policy to notify and when to look again.
 *
 * No I/O, no clock: callers pass `nowMs`, persist the returned state, arm a
 * durable timer for `state.nextAtMs`, and send the returned `notify` targets.
 * Levels are 0-based here (the runbook's "Level 1" is level 0).
 */

/** One level of a frozen policy. `targets` are `channel:NAME`, `person:ID` or `schedule:NAME`. */
export interface FrozenLevel {
  name?: string;
  targets: readonly string[];
  /** How long to wait for an acknowledgement after notifying this level. */
  timeoutMs: number;
}

/**
 * A policy with every timeout resolved, snapshotted when an incident opens so
 * that a configuration reload does not change an escalation in flight.
 */
export interface FrozenPolicy {
  name: string;
  levels: readonly FrozenLevel[];
  /** How many extra passes over all levels after the first one. */
  repeat: number;
}

/** A policy as configured (`config.ts` policySchema output, durations in ms), plus its name. */
export interface PolicyConfig {
  name: string;
  levels: readonly { name?: string; notify: readonly string[]; timeout?: number }[];
  level_timeout?: number;
  repeat?: number;
}

/**
 * Where an escalation is. Invariants: `0 <= level < policy.levels.length`;
 * `0 <= cycle <= policy.repeat`; `stopped` implies `nextAtMs === null`;
 * `!stopped && nextAtMs === null` means exhausted (all levels and repeats ran
 * out without an acknowledgement).
 */
export interface EscalationState {
  level: number;
  cycle: number;
  nextAtMs: number | null;
  stopped: boolean;
}

/** Who to notify now, if anyone. `level` is 0-based. */
export interface EscalationNotify {
  level: number;
  targets: readonly string[];
}

/** The result of every transition that may notify. `exhausted` is true only on the step that runs out. */
export interface EscalationStep {
  state: EscalationState;
  notify: EscalationNotify | null;
  exhausted: boolean;
}

/**
 * Resolves every level's timeout: `level.timeout ?? policy.level_timeout ??
 * severityDeadlineMs` (the incident's acknowledgement deadline). Throws
 * RangeError for a policy without levels or with a negative/non-finite timeout.
 */
export function freezePolicy(policy: PolicyConfig, severityDeadlineMs: number): FrozenPolicy {
  if (policy.levels.length === 0) throw new RangeError(`escalation policy "${policy.name}" has no levels`);
  const repeat = policy.repeat ?? 0;
  if (!Number.isInteger(repeat) || repeat < 0)
    throw new RangeError(`escalation policy "${policy.name}": repeat must be a non-negative integer`);
  const levels = policy.levels.map((l, i) => {
    const timeoutMs = l.timeout ?? policy.level_timeout ?? severityDeadlineMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`escalation policy "${policy.name}" level ${i + 1}: timeout must be a non-negative duration`);
    }
    const level: FrozenLevel = { targets: Object.freeze([...l.notify]), timeoutMs };
    if (l.name !== undefined) level.name = l.name;
    return Object.freeze(level);
  });
  return Object.freeze({ name: policy.name, levels: Object.freeze(levels), repeat });
}

function notifyLevel(policy: FrozenPolicy, level: number, cycle: number, nowMs: number): EscalationStep {
  const l = policy.levels[level]!;
  return {
    state: { level, cycle, nextAtMs: nowMs + l.timeoutMs, stopped: false },
    notify: { level, targets: l.targets },
    exhausted: false,
  };
}

/** Starts an escalation: level 0 is notified now and timed from now. */
export function startEscalation(policy: FrozenPolicy, nowMs: number): EscalationStep {
  return notifyLevel(policy, 0, 0, nowMs);
}

/**
 * A timer fired at `nowMs`. Transition table (L = state.level, last =
 * levels.length - 1, t(x) = timeout of level x):
 *
 * | state before                          | state after                          | notify  | exhausted |
 * |---------------------------------------|--------------------------------------|---------|-----------|
 * | stopped (acknowledged)                | unchanged                            | none    | false     |
 * | nextAtMs = null (already exhausted)   | unchanged                            | none    | false     |
 * | now < nextAtMs (early or stale timer) | unchanged                            | none    | false     |
 * | L < last                              | level L+1, next = now + t(L+1)       | L+1     | false     |
 * | L = last, cycle < repeat              | level 0, cycle+1, next = now + t(0)  | 0       | false     |
 * | L = last, cycle = repeat              | level last, next = null              | none    | true      |
 *
 * A late timer moves exactly one level: each level is notified and gets its
 * full timeout from the moment it was notified; levels are never skipped.
 * A state whose level is past the policy's end (it cannot be, for a state
 * produced by these functions with the same frozen policy) counts as `last`.
 */
export function onTimer(policy: FrozenPolicy, state: EscalationState, nowMs: number): EscalationStep {
  if (state.stopped || state.nextAtMs === null || nowMs < state.nextAtMs) {
    return { state, notify: null, exhausted: false };
  }
  const last = policy.levels.length - 1;
  if (state.level < last) return notifyLevel(policy, state.level + 1, state.cycle, nowMs);
  if (state.cycle < policy.repeat) return notifyLevel(policy, 0, state.cycle + 1, nowMs);
  return { state: { level: last, cycle: state.cycle, nextAtMs: null, stopped: false }, notify: null, exhausted: true };
}

/**
 * An acknowledgement stops the escalation (level and cycle are kept for the
 * record). Idempotent.
 *
 * | state before | state after                     |
 * |--------------|---------------------------------|
 * | any          | stopped = true, nextAtMs = null |
 */
export function onAcknowledge(state: EscalationState): EscalationState {
  if (state.stopped && state.nextAtMs === null) return state;
  return { ...state, nextAtMs: null, stopped: true };
}

/**
 * The incident was re-opened (acknowledged → triggered, or resolved →
 * triggered): escalation restarts from level 0, cycle 0, whatever the state
 * was, and level 0 is notified again.
 */
export function onReopen(policy: FrozenPolicy, nowMs: number): EscalationStep {
  return startEscalation(policy, nowMs);
}

/** True when the policy ran out of levels and repeats without an acknowledgement. */
export function isExhausted(state: EscalationState): boolean {
  return !state.stopped && state.nextAtMs === null;
}
