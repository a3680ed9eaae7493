/**
 * The rule windows of one partition: one RuleEngine per rule, fed only the
 * events whose key for that rule belongs to this partition (an event can
 * reach a partition through another rule's key; it must not count here for
 * rules whose key lives elsewhere). Rules are independent, so one engine per
 * rule gives exactly what one engine over every rule gives.
 */
import type { Detection, FbEvent } from '../domain/event.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import type { PartitionRouter } from './partition-key.ts';

export class PartitionEngine {
  private readonly engines = new Map<RuleSpec, RuleEngine>();
  events = 0;

  constructor(
    readonly partition: number,
    private readonly router: PartitionRouter,
  ) {}

  /** Feeds one event; detections are pushed to `out`. */
  process(ev: FbEvent, out: Detection[]): void {
    this.events++;
    for (const rule of this.router.rulesFor(ev.type)) {
      if (!this.router.owns(this.partition, rule, ev)) continue;
      let e = this.engines.get(rule);
      if (!e) this.engines.set(rule, (e = new RuleEngine([rule])));
      const ds = e.process(ev);
      for (let i = 0; i < ds.length; i++) out.push(ds[i]!);
    }
  }

  stats(): ReturnType<RuleEngine['stats']> {
    const s: ReturnType<RuleEngine['stats']> = { keys: 0, evictedKeys: 0, droppedKeys: 0, rules: [] };
    for (const e of this.engines.values()) {
      const x = e.stats();
      s.keys += x.keys;
      s.evictedKeys += x.evictedKeys;
      s.droppedKeys += x.droppedKeys;
      s.rules.push(...x.rules);
    }
    return s;
  }
}
