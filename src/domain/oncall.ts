/**
 * On-call schedules: who is on call at an instant, and the shifts over a range.
 *
 * Pure: no I/O, no clock (every function takes the instant), imports nothing.
 * Time-zone math uses only `Intl.DateTimeFormat`.
 *
 * Semantics (where docs/design.md is silent, decided here):
 * - Rotation coverage begins at the FIRST handoff: `start` (local date,
 *   default 2026-01-05, a Monday) at the `handoff` local time. Before it nobody
 *   is on call from the rotation (a `gap`); the rotation does not extend into
 *   the past. After it, coverage never ends. An empty `members` list covers
 *   nothing.
 * - Shift n (n >= 0) belongs to `members[n % members.length]`.
 * - `every` a whole number of days (1d, 1w, 3d): handoff n happens on local
 *   calendar day `start + n * days` at the local `handoff` wall time, so the
 *   handoff stays at e.g. 09:00 across DST changes and the shift spanning a
 *   change is an hour shorter or longer in real time.
 * - Any other `every` (12h, 36h, 90m): fixed real-time steps from the first
 *   handoff; the local time of later handoffs moves with DST.
 * - A handoff at a local time that does not exist (spring-forward gap) happens
 *   at the first valid instant after it, i.e. at the transition (02:30 → 03:00).
 *   An ambiguous local time (fall-back) takes its first occurrence.
 * - Overrides `[startMs, endMs)` replace whoever the rotation (or a gap) has;
 *   when overrides overlap, the later one in the array wins. Overrides with
 *   `endMs <= startMs` are ignored. An override can fill a gap, and where it
 *   ends outside rotation coverage the gap resumes.
 * - A reported shift is a maximal interval with one effective assignment:
 *   rotation shift n, an override person, or a gap. Rotation shifts are
 *   bounded by handoffs even when the same person continues (one member);
 *   adjacent overrides for the same person merge; adjacent gaps merge.
 * - Times are integer milliseconds since the epoch.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DEFAULT_START = '2026-01-05';

/** A schedule as configured (`config.ts` scheduleSchema output, `every` in ms). */
export interface ScheduleInput {
  name: string;
  /** IANA time zone, e.g. `Europe/Berlin`. */
  time_zone: string;
  rotation: {
    /** Milliseconds between handoffs; > 0. */
    every: number;
    /** Local wall-clock time `HH:MM`. */
    handoff: string;
    /** Local calendar date `YYYY-MM-DD` of the first handoff; default 2026-01-05. */
    start?: string;
    members: readonly string[];
  };
}

/** Someone covering `[startMs, endMs)` instead of the rotation. */
export interface Override {
  person: string;
  startMs: number;
  endMs: number;
}

export type ShiftSource = 'rotation' | 'override' | 'gap';

/** One shift of a timeline: `person` is null exactly when `source` is `gap`. */
export interface Shift {
  person: string | null;
  shiftStartMs: number;
  shiftEndMs: number;
  source: ShiftSource;
}

/** Who is on call at an instant; a null bound means the shift is unbounded that way. */
export interface OnCall {
  person: string | null;
  shiftStartMs: number | null;
  shiftEndMs: number | null;
  source: ShiftSource;
}

// ---------------------------------------------------------------------------
// Zone math

// Memo of formatters per zone: constructing one is expensive; this cache is
// pure (same input, same output) and holds no application state.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local wall-clock time of instant `ms` in `timeZone`, encoded as if it were UTC. */
function wallMs(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const sub = ((ms % 1000) + 1000) % 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + sub;
}

/**
 * The instant at which the local wall time `wall` (encoded as UTC) occurs.
 * Ambiguous → first occurrence; non-existent → the first valid instant after.
 */
function wallToInstant(wall: number, timeZone: string): number {
  // Offsets a day either side bracket any single transition near `wall`
  // (real offsets are within ±14 h, transitions are months apart).
  const offsets = new Set([wall - DAY_MS, wall, wall + DAY_MS].map((t) => wallMs(t, timeZone) - t));
  const candidates = [...offsets].map((o) => wall - o);
  const valid = candidates.filter((t) => wallMs(t, timeZone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  // Spring-forward gap: local time is increasing around the transition, so
  // binary-search (whole seconds: zones change on whole seconds) the first
  // instant whose wall time is at or after `wall`: the transition itself.
  let lo = Math.floor(Math.min(...candidates) / 1000);
  let hi = Math.ceil(Math.max(...candidates) / 1000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallMs(mid * 1000, timeZone) >= wall) hi = mid;
    else lo = mid + 1;
  }
  return lo * 1000;
}

// ---------------------------------------------------------------------------
// Validation and the rotation plan

interface Plan {
  timeZone: string;
  members: readonly string[];
  /** Whole local days between handoffs, or null for fixed real-time steps. */
  days: number | null;
  everyMs: number;
  /** Local day number (days since 1970-01-01) of the first handoff. */
  startDay: number;
  handoffMinute: number;
  /** Instant of the first handoff (shift 0 starts here). */
  firstMs: number;
}

/** Every problem with a schedule, as messages; empty when it is usable. */
export function scheduleProblems(schedule: ScheduleInput): string[] {
  const problems: string[] = [];
  const r = schedule.rotation;
  try {
    formatterFor(schedule.time_zone);
  } catch {
    problems.push(`time_zone "${schedule.time_zone}" is not an IANA time zone`);
  }
  if (!Number.isFinite(r.every) || r.every <= 0) problems.push('rotation.every must be a positive duration');
  const hm = /^(\d{2}):(\d{2})$/.exec(r.handoff);
  if (!hm || Number(hm[1]) > 23 || Number(hm[2]) > 59) problems.push(`rotation.handoff "${r.handoff}" must be HH:MM (00:00-23:59)`);
  if (r.start !== undefined && parseLocalDate(r.start) === null) problems.push(`rotation.start "${r.start}" must be a date YYYY-MM-DD`);
  return problems;
}

function parseLocalDate(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Reject dates that roll over (2026-02-30).
  if (new Date(ms).toISOString().slice(0, 10) !== s) return null;
  return ms / DAY_MS;
}

function planFor(schedule: ScheduleInput): Plan {
  const problems = scheduleProblems(schedule);
  if (problems.length > 0) throw new RangeError(`schedule "${schedule.name}": ${problems.join('; ')}`);
  const r = schedule.rotation;
  const [h, m] = r.handoff.split(':').map(Number) as [number, number];
  const handoffMinute = h * 60 + m;
  const startDay = parseLocalDate(r.start ?? DEFAULT_START)!;
  const days = r.every % DAY_MS === 0 ? r.every / DAY_MS : null;
  const firstMs = wallToInstant(startDay * DAY_MS + handoffMinute * MINUTE_MS, schedule.time_zone);
  return { timeZone: schedule.time_zone, members: r.members, days, everyMs: r.every, startDay, handoffMinute, firstMs };
}

/** Instant of handoff n (the start of rotation shift n), n >= 0. */
function handoffAt(plan: Plan, n: number): number {
  if (plan.days === null) return plan.firstMs + n * plan.everyMs;
  return wallToInstant((plan.startDay + n * plan.days) * DAY_MS + plan.handoffMinute * MINUTE_MS, plan.timeZone);
}

/** Index of the rotation shift containing `t`, or -1 before the first handoff. */
function shiftIndexAt(plan: Plan, t: number): number {
  if (t < plan.firstMs) return -1;
  if (plan.days === null) return Math.floor((t - plan.firstMs) / plan.everyMs);
  // Estimate from the local calendar day, then correct by at most a step or
  // two (before the handoff time on a handoff day, or DST edge cases).
  const localDay = Math.floor(wallMs(t, plan.timeZone) / DAY_MS);
  let n = Math.max(0, Math.floor((localDay - plan.startDay) / plan.days));
  while (n > 0 && handoffAt(plan, n) > t) n--;
  while (handoffAt(plan, n + 1) <= t) n++;
  return n;
}

// ---------------------------------------------------------------------------
// Effective assignment = overrides on top of the rotation

interface Assignment {
  /** Equal keys on adjacent intervals mean one shift. */
  key: string;
  person: string | null;
  source: ShiftSource;
}

class Resolver {
  private readonly overrides: readonly Override[];
  /** Sorted, distinct override boundaries. */
  private readonly bounds: number[];

  constructor(
    private readonly plan: Plan,
    overrides: readonly Override[],
  ) {
    this.overrides = overrides.filter((o) => o.endMs > o.startMs);
    this.bounds = [...new Set(this.overrides.flatMap((o) => [o.startMs, o.endMs]))].sort((a, b) => a - b);
  }

  private overrideAt(t: number): Override | undefined {
    // Later overrides win: scan from the end.
    for (let i = this.overrides.length - 1; i >= 0; i--) {
      const o = this.overrides[i]!;
      if (o.startMs <= t && t < o.endMs) return o;
    }
    return undefined;
  }

  assignmentAt(t: number): Assignment {
    const o = this.overrideAt(t);
    if (o) return { key: `o:${o.person}`, person: o.person, source: 'override' };
    const n = this.plan.members.length === 0 ? -1 : shiftIndexAt(this.plan, t);
    if (n < 0) return { key: 'gap', person: null, source: 'gap' };
    return { key: `r:${n}`, person: this.plan.members[n % this.plan.members.length]!, source: 'rotation' };
  }

  /** First instant after `t` where the assignment may change; null if never. */
  nextChange(t: number): number | null {
    let next: number | null = this.bounds.find((b) => b > t) ?? null;
    // While an override covers t, rotation handoffs cannot change anything.
    if (!this.overrideAt(t) && this.plan.members.length > 0) {
      const n = shiftIndexAt(this.plan, t);
      const h = n < 0 ? this.plan.firstMs : handoffAt(this.plan, n + 1);
      if (next === null || h < next) next = h;
    }
    return next;
  }

  /** Start of the elementary interval containing `t`; null if unbounded. */
  prevChange(t: number): number | null {
    let prev: number | null = null;
    for (const b of this.bounds) if (b <= t) prev = b;
    if (!this.overrideAt(t) && this.plan.members.length > 0) {
      const n = shiftIndexAt(this.plan, t);
      if (n >= 0) {
        const h = handoffAt(this.plan, n);
        if (prev === null || h > prev) prev = h;
      }
    }
    return prev;
  }

  /** End of the maximal shift containing `t` (merging equal keys); null if unbounded. */
  shiftEnd(t: number, key: string): number | null {
    let cur = t;
    for (;;) {
      const e = this.nextChange(cur);
      if (e === null || this.assignmentAt(e).key !== key) return e;
      cur = e;
    }
  }

  /** Start of the maximal shift containing `t`; null if unbounded. */
  shiftStart(t: number, key: string): number | null {
    let cur = t;
    for (;;) {
      const s = this.prevChange(cur);
      if (s === null || this.assignmentAt(s - 1).key !== key) return s;
      cur = s - 1;
    }
  }
}

/**
 * Who is on call at `atMs`, with the bounds of their effective shift (after
 * overrides). Throws RangeError when the schedule is invalid (see scheduleProblems).
 */
export function oncallAt(schedule: ScheduleInput, overrides: readonly Override[], atMs: number): OnCall {
  const r = new Resolver(planFor(schedule), overrides);
  const a = r.assignmentAt(atMs);
  return { person: a.person, shiftStartMs: r.shiftStart(atMs, a.key), shiftEndMs: r.shiftEnd(atMs, a.key), source: a.source };
}

/**
 * The consecutive shifts covering `[fromMs, toMs)`: the first starts at
 * `fromMs` and the last ends at `toMs` (clipped), each shift ends where the
 * next begins, and nobody-on-call intervals appear as `gap` shifts.
 * Throws RangeError for an invalid schedule or more than `maxShifts` shifts.
 */
export function oncallTimeline(
  schedule: ScheduleInput,
  overrides: readonly Override[],
  fromMs: number,
  toMs: number,
  maxShifts = 10_000,
): Shift[] {
  const r = new Resolver(planFor(schedule), overrides);
  const out: Shift[] = [];
  let cur = fromMs;
  while (cur < toMs) {
    if (out.length >= maxShifts) throw new RangeError(`schedule "${schedule.name}": more than ${maxShifts} shifts in the range`);
    const a = r.assignmentAt(cur);
    const end = Math.min(r.shiftEnd(cur, a.key) ?? toMs, toMs);
    out.push({ person: a.person, shiftStartMs: cur, shiftEndMs: end, source: a.source });
    cur = end;
  }
  return out;
}
