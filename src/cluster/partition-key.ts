/**
 * Which partitions an event goes to. A rule counts events per key (`ip:…`,
 * `user:…`, `route:…` or `global`); every event a rule could count for key K
 * must reach the one partition that owns K, so an event is appended to the
 * partition of each key it carries for the rules of its type (an event seen by
 * an IP rule and a user rule may go to two partitions). A rule keyed `global`
 * lives in one partition. Routing looks at the event type only; the owner's
 * engine applies the rules' `where` conditions.
 */
import type { FbEvent } from '../domain/event.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';

/** FNV-1a, 32 bits: stable across processes and versions (a change would move every key). */
export function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The rule key an event has for a rule (`ip:1.2.3.4`), or null when it lacks the key field (the rule ignores it). */
export function ruleKeyOf(rule: RuleSpec, ev: FbEvent): string | null {
  switch (rule.key) {
    case 'global':
      return 'global';
    case 'ip':
      return typeof ev.ip === 'string' && ev.ip !== '' ? `ip:${ev.ip}` : null;
    case 'user_id':
      return typeof ev.user_id === 'string' && ev.user_id !== '' ? `user:${ev.user_id}` : null;
    case 'route':
      return typeof ev.route === 'string' && ev.route !== '' ? `route:${ev.route}` : null;
  }
}

export function partitionOfKey(key: string, partitions: number): number {
  return hashKey(key) % partitions;
}

/** Routes events to partitions; built once per rule set. */
export class PartitionRouter {
  private readonly byType = new Map<string, RuleSpec[]>();

  constructor(
    rules: readonly RuleSpec[],
    readonly partitions: number,
  ) {
    for (const r of rules)
      for (const m of r.match) {
        let list = this.byType.get(m.type);
        if (!list) this.byType.set(m.type, (list = []));
        if (!list.includes(r)) list.push(r);
      }
  }

  /** Rules that may count events of this type. */
  rulesFor(type: string): readonly RuleSpec[] {
    return this.byType.get(type) ?? [];
  }

  /** The partitions this event must reach (empty: no rule looks at it). */
  partitionsOf(ev: FbEvent, out: Set<number> = new Set()): Set<number> {
    out.clear();
    for (const r of this.rulesFor(ev.type)) {
      const k = ruleKeyOf(r, ev);
      if (k !== null) out.add(partitionOfKey(k, this.partitions));
    }
    return out;
  }

  /** Whether partition `p` evaluates `rule` for this event (it owns the event's key for that rule). */
  owns(p: number, rule: RuleSpec, ev: FbEvent): boolean {
    const k = ruleKeyOf(rule, ev);
    return k !== null && partitionOfKey(k, this.partitions) === p;
  }
}
