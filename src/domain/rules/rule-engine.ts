/**
 * The window engine: events in, detections out. One engine serves live
 * ingestion and offline replay, so both give the same detections.
 *
 * Semantics (docs/design.md "Default rules"), for each rule and each key:
 * - an event at time s is inside the window at time t when t - window < s <= t
 *   (integer microseconds, the events' own timestamps, never the wall clock);
 * - the rule fires at the event that makes the window's value reach the
 *   threshold (op gte) or exceed it (op gt); the detection carries that
 *   event's time and the window's value then;
 * - at a firing the window is emptied and the key is quiet for the cooldown:
 *   events with s < t_fire + cooldown are ignored, later ones count from empty;
 * - an event lacking the key field (or the measured field) does not count.
 * Events are expected in time order per key. An out-of-order event is placed
 * at its time; the window is then the one at the newest time seen for the
 * key, and an event already outside that window does not count.
 *
 * Memory: each rule keeps its keys in recency order (key-list.ts): counting
 * keys by their last event, cooling keys by their firing. Each new key first
 * evicts up to EVICT_PER_ADMIT stale keys from the heads (a key whose events
 * all left the window and whose cooldown ended is worth nothing), so the
 * table follows the live keys at O(1) amortized per event, without sweeps.
 * A rule holds at most its key cap (`maxKeys` of the rule, else
 * `maxKeysPerRule`, default 1,000,000). At the cap a new key is still
 * admitted: the stalest key makes room (the head of the counting list, else
 * of the cooling list). Losing that key's few counted events (or its
 * cooldown, which can only cause a repeated detection) is the price; refusing
 * new keys would blind the rule to a flood from a new address right after a
 * cardinality attack. Keys evicted while still live are counted in
 * `droppedKeys`, per rule in `stats().rules`.
 */
import type { Detection, FbEvent } from '../event.ts';
import type { MatchCondition, RuleSpec } from './rule-spec.ts';
import {
  KIND_COUNT,
  KIND_DISTINCT,
  KIND_PERCENTILE,
  KeyWindow,
  keyText,
  lookupKey,
  ownKey,
  type HeldKey,
  type WindowKind,
} from './key-window.ts';
import { KeyList } from './key-list.ts';
import { KeyTable } from './key-table.ts';

const KEY_IP = 0;
const KEY_USER = 1;
const KEY_GLOBAL = 2;
const KEY_ROUTE = 3;
const KEY_PREFIX = ['ip:', 'user:', 'global', 'route:'];
/** Stale keys evicted from each list's head per new key: more than one, so a table grown by a burst shrinks back. */
const EVICT_PER_ADMIT = 2;
/** Default key cap per rule. */
export const DEFAULT_MAX_KEYS = 1_000_000;
/** Evicted windows kept per rule for reuse: key churn then allocates nothing. */
const POOL_SIZE = 4096;

/** Returned when nothing fires, to avoid an allocation per event. Frozen: do not push into it. */
const NONE: Detection[] = Object.freeze([]) as unknown as Detection[];

type Predicate = (ev: FbEvent) => boolean;

interface CompiledRule {
  readonly name: string;
  readonly keyKind: number;
  readonly kind: WindowKind;
  readonly field: string;
  readonly threshold: number;
  readonly gt: boolean;
  readonly windowUs: number;
  readonly cooldownUs: number;
  readonly p: number;
  readonly minSamples: number;
  readonly keys: KeyTable<KeyWindow>;
  readonly global: KeyWindow | null;
  /** Windows of evicted keys, ready for new keys. */
  readonly pool: KeyWindow[];
  /** The last key looked up and its window (bursts from one source hit it); cleared when that key is evicted. */
  lastKey: string;
  lastWindow: KeyWindow | null;
  /** Largest event time seen by this rule: "now" for evictions. */
  now: number;
  readonly maxKeys: number;
  /** Keys counting events, least recently active first. */
  readonly active: KeyList;
  /** Keys in their cooldown, earliest firing first. */
  readonly cooling: KeyList;
  evicted: number;
  /** Live keys evicted at the cap. */
  dropped: number;
  /** Event time of the last such eviction. */
  lastDropUs: number;
}

/** Key table figures of one rule (see RuleEngine.stats). */
export interface RuleKeyStats {
  rule: string;
  keys: number;
  maxKeys: number;
  evictedKeys: number;
  /** Live keys evicted because the rule was at its key cap. */
  droppedKeys: number;
  /** A key was dropped within the last window (event time): what was lost may still matter. */
  dropping: boolean;
}

/** A rule reached from one event type; `filters` null means every event of the type counts. */
interface Route {
  readonly rule: CompiledRule;
  readonly filters: Predicate[] | null;
}

/** Reads a field from the event, falling back to `attrs`. */
function readField(ev: FbEvent, field: string): unknown {
  const v = (ev as unknown as Record<string, unknown>)[field];
  return v !== undefined ? v : ev.attrs?.[field];
}

function compileCondition(c: MatchCondition): Predicate {
  const { field, value } = c;
  const num = Number(value);
  const numeric =
    (f: (x: number) => boolean): Predicate =>
    (ev) => {
      const v = readField(ev, field);
      if (v === undefined || v === null || v === '') return false;
      const x = typeof v === 'number' ? v : Number(v);
      return x === x && f(x);
    };
  const equal = (v: unknown) => (typeof v === 'number' || typeof value === 'number' ? Number(v) === num : String(v) === value);
  switch (c.op) {
    case 'eq':
      return (ev) => {
        const v = readField(ev, field);
        return v !== undefined && v !== null && equal(v);
      };
    case 'ne':
      return (ev) => {
        const v = readField(ev, field);
        return v !== undefined && v !== null && !equal(v);
      };
    case 'gt':
      return numeric((x) => x > num);
    case 'gte':
      return numeric((x) => x >= num);
    case 'lt':
      return numeric((x) => x < num);
    case 'lte':
      return numeric((x) => x <= num);
  }
}

/** Options of the RuleEngine. */
export interface RuleEngineOptions {
  /** Keys held per rule at most, for rules without their own `maxKeys` (default 1,000,000). */
  maxKeysPerRule?: number;
}

/** Sliding-window detection over a stream of events. Not thread-safe; one instance per stream. */
export class RuleEngine {
  private readonly byType = new Map<string, Route[]>();
  private readonly rules: CompiledRule[] = [];

  constructor(rules: readonly RuleSpec[], opts: RuleEngineOptions = {}) {
    for (const spec of rules) {
      const kind = spec.value.kind === 'count' ? KIND_COUNT : spec.value.kind === 'distinct' ? KIND_DISTINCT : KIND_PERCENTILE;
      const keyKind = spec.key === 'ip' ? KEY_IP : spec.key === 'user_id' ? KEY_USER : spec.key === 'global' ? KEY_GLOBAL : KEY_ROUTE;
      const rule: CompiledRule = {
        name: spec.name,
        keyKind,
        kind,
        field: spec.value.kind === 'count' ? '' : spec.value.field,
        threshold: spec.threshold,
        gt: spec.op === 'gt',
        windowUs: spec.windowUs,
        cooldownUs: spec.cooldownUs,
        p: spec.value.kind === 'percentile' ? spec.value.p : 0,
        minSamples: spec.value.kind === 'percentile' ? Math.max(1, spec.value.min_samples) : 0,
        keys: new KeyTable(),
        global: keyKind === KEY_GLOBAL ? new KeyWindow(kind) : null,
        pool: [],
        lastKey: '',
        lastWindow: null,
        now: -Infinity,
        maxKeys: Math.max(1, spec.maxKeys ?? opts.maxKeysPerRule ?? DEFAULT_MAX_KEYS),
        active: new KeyList(),
        cooling: new KeyList(),
        evicted: 0,
        dropped: 0,
        lastDropUs: -Infinity,
      };
      this.rules.push(rule);
      // Group the rule's match entries by event type; entries of one type are OR-ed.
      const perType = new Map<string, Predicate[] | null>();
      for (const m of spec.match) {
        const conds = (m.where ?? []).map(compileCondition);
        const pred: Predicate | null = conds.length === 0 ? null : conds.length === 1 ? conds[0]! : (ev) => conds.every((c) => c(ev));
        const prev = perType.get(m.type);
        if (pred === null || prev === null) perType.set(m.type, null);
        else perType.set(m.type, [...(prev ?? []), pred]);
      }
      for (const [type, filters] of perType) {
        let routes = this.byType.get(type);
        if (!routes) this.byType.set(type, (routes = []));
        routes.push({ rule, filters });
      }
    }
  }

  /** Feeds one event; returns the detections it causes (usually none: a shared frozen empty array). */
  process(ev: FbEvent): Detection[] {
    const routes = this.byType.get(ev.type);
    if (routes === undefined) return NONE;
    let out = NONE;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      if (route.filters !== null && !passesAny(route.filters, ev)) continue;
      const d = this.step(route.rule, ev);
      if (d !== null) {
        if (out === NONE) out = [];
        out.push(d);
      }
    }
    return out;
  }

  /**
   * Keys held now, keys evicted so far, and live keys evicted because a rule
   * was at its key cap (totals), with the same per rule in `rules`.
   */
  stats(): { keys: number; evictedKeys: number; droppedKeys: number; rules: RuleKeyStats[] } {
    let keys = 0;
    let evictedKeys = 0;
    let droppedKeys = 0;
    const rules: RuleKeyStats[] = [];
    for (const r of this.rules) {
      const n = r.global !== null ? (r.global.len > 0 || r.global.quietUntil > r.now ? 1 : 0) : r.keys.size;
      keys += n;
      evictedKeys += r.evicted;
      droppedKeys += r.dropped;
      const dropping = r.dropped > 0 && r.now - r.lastDropUs < r.windowUs;
      rules.push({ rule: r.name, keys: n, maxKeys: r.maxKeys, evictedKeys: r.evicted, droppedKeys: r.dropped, dropping });
    }
    return { keys, evictedKeys, droppedKeys, rules };
  }

  private step(r: CompiledRule, ev: FbEvent): Detection | null {
    const t = ev.tsUs;
    if (typeof t !== 'number' || !Number.isFinite(t)) return null;
    let sample = 0;
    let value: string | undefined;
    if (r.kind === KIND_PERCENTILE) {
      const v = readField(ev, r.field);
      if (typeof v !== 'number' || !Number.isFinite(v)) return null;
      sample = v;
    } else if (r.kind === KIND_DISTINCT) {
      const v = readField(ev, r.field);
      if (v === undefined || v === null || v === '') return null;
      value = typeof v === 'string' ? v : String(v);
    }
    if (t > r.now) r.now = t;
    let w: KeyWindow | undefined;
    let keyValue = '';
    if (r.global !== null) w = r.global;
    else {
      const kv = r.keyKind === KEY_IP ? ev.ip : r.keyKind === KEY_USER ? ev.user_id : ev.route;
      if (typeof kv !== 'string' || kv === '') return null;
      keyValue = kv;
      if (kv === r.lastKey) w = r.lastWindow!;
      else {
        const hk = lookupKey(kv);
        w = r.keys.get(hk);
        if (w === undefined) w = this.admit(r, hk);
        else if (w.list === r.active) r.active.touch(w);
        r.lastKey = kv;
        r.lastWindow = w;
      }
    }
    if (t < w.quietUntil) return null; // cooling down after a firing
    if (w.list === r.cooling) {
      // The cooldown is over: the key counts again, as the most recent one.
      r.cooling.unlink(w);
      r.active.push(w);
    }
    const newest = w.newest > t ? w.newest : t;
    const cutoff = newest - r.windowUs;
    if (t <= cutoff) return null; // out of order and already outside the window
    w.evict(cutoff, r.threshold, r.gt);
    w.push(t, sample, value, r.threshold, r.gt);

    let measured: number;
    if (r.kind === KIND_PERCENTILE) {
      const n = w.len;
      if (n < r.minSamples) return null;
      const rank = Math.min(n, Math.max(1, Math.ceil((r.p * n) / 100)));
      if (w.low >= rank) return null; // the rank-th smallest is not beyond the threshold
      measured = w.nthSample(rank);
    } else {
      measured = r.kind === KIND_COUNT ? w.len : w.counts!.size;
      if (r.gt ? !(measured > r.threshold) : !(measured >= r.threshold)) return null;
    }
    // Distinct rules name what contributed (at most the window's distinct set, read before it is emptied).
    const contributors = r.kind === KIND_DISTINCT ? Array.from(w.counts!.keys(), keyText) : null;
    w.clear();
    w.quietUntil = t + r.cooldownUs;
    if (w.list === r.active) {
      r.active.unlink(w);
      r.cooling.push(w);
    }
    const key = r.keyKind === KEY_GLOBAL ? 'global' : KEY_PREFIX[r.keyKind]! + keyValue;
    return contributors ? { rule: r.name, key, atUs: t, value: measured, contributors } : { rule: r.name, key, atUs: t, value: measured };
  }

  /**
   * Creates the window of a new key: first evicts stale keys from the list
   * heads, then, at the cap, the stalest live key.
   */
  private admit(r: CompiledRule, hk: HeldKey): KeyWindow {
    const cutoff = r.now - r.windowUs;
    this.evictStale(r, r.active, cutoff);
    this.evictStale(r, r.cooling, cutoff);
    if (r.keys.size >= r.maxKeys) {
      const victim = r.active.head ?? r.cooling.head!;
      r.dropped++;
      r.lastDropUs = r.now;
      this.evict(r, victim);
    }
    const w = r.pool.length > 0 ? r.pool.pop()! : new KeyWindow(r.kind);
    w.key = ownKey(hk);
    r.keys.set(w.key, w);
    r.active.push(w);
    return w;
  }

  /** Evicts up to EVICT_PER_ADMIT keys from the head of `list` whose events all left the window and whose cooldown is over. */
  private evictStale(r: CompiledRule, list: KeyList, cutoff: number): void {
    for (let i = 0; i < EVICT_PER_ADMIT; i++) {
      const w = list.head;
      if (w === null || w.quietUntil > r.now || (w.len > 0 && w.newest > cutoff)) return;
      this.evict(r, w);
    }
  }

  private evict(r: CompiledRule, w: KeyWindow): void {
    w.list!.unlink(w);
    r.keys.delete(w.key);
    r.evicted++;
    if (w === r.lastWindow) {
      r.lastKey = '';
      r.lastWindow = null;
    }
    w.key = '';
    if (r.pool.length < POOL_SIZE && w.reusable) {
      w.reset();
      r.pool.push(w);
    }
  }
}

function passesAny(filters: Predicate[], ev: FbEvent): boolean {
  for (let i = 0; i < filters.length; i++) if (filters[i]!(ev)) return true;
  return false;
}
