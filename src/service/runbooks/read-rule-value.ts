/**
 * Reads a rule's current value for an incident's key (runbook `rule`
 * checks: "value below threshold for below_for"), from the stored events of
 * the rule's window ending now.
 *
 * Why stored events and not the live engine's window: the engine empties a
 * key's window when the rule fires and ignores the key during its cooldown,
 * so right after a detection it would read 0 while the attack goes on. The
 * raw window is what "below the threshold" means. The rule's own match
 * conditions are applied by the domain's engine (one event at a time, with
 * threshold 1), so there is one implementation of matching.
 *
 * A campaign (an incident several keys joined) reads the rule for every
 * member and reports the highest value: "below the threshold" must hold for
 * each of them, so one member still attacking keeps the check failing.
 *
 * Unknown (null) when events are not stored (`events.store: none`), the rule
 * does not exist, or the incident's key is not one the rule groups by.
 */
import { RuleEngine } from '../../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import { countWindowEvents, loadWindowEvents } from '../../store/window-events-repo.ts';
import type { Deps } from '../core/context.ts';
import { openCampaignKeys } from '../../store/campaign-repo.ts';

export interface RuleReading {
  value: number;
  threshold: number;
  op: 'gte' | 'gt';
  /** True when the value would fire the rule. */
  firing: boolean;
  events: number;
}

/** Cap on events read for one check; a window this full is above any sane threshold. */
const MAX_EVENTS = 200_000;
/** Members read for one campaign check. */
const MAX_MEMBERS = 100_000;

/** The highest value of the rule over the campaign's members: one read of the window, grouped by key in memory. */
async function readCampaignValue(deps: Deps, rule: RuleSpec, members: readonly string[], now: Date): Promise<RuleReading> {
  const untilUs = now.getTime() * 1000;
  const events = await loadWindowEvents(deps.db, {
    types: [...new Set(rule.match.map((m) => m.type))],
    sinceUs: untilUs - rule.windowUs,
    untilUs,
    limit: MAX_EVENTS,
  });
  const matcher = new RuleEngine([
    { ...rule, key: 'global', value: { kind: 'count' }, threshold: 1, op: 'gte', windowUs: 1, cooldownUs: 0 },
  ]);
  const wanted = new Set(members);
  const prefix = rule.key === 'ip' ? 'ip:' : rule.key === 'user_id' ? 'user:' : 'route:';
  const field = rule.key === 'ip' ? 'ip' : rule.key === 'user_id' ? 'user_id' : 'route';
  const byKey = new Map<string, Record<string, unknown>[]>();
  let n = 0;
  for (const ev of events) {
    const v = (ev as unknown as Record<string, unknown>)[field];
    if (typeof v !== 'string' || !wanted.has(prefix + v) || matcher.process(ev).length === 0) continue;
    let l = byKey.get(v);
    if (!l) byKey.set(v, (l = []));
    l.push(ev as unknown as Record<string, unknown>);
    n++;
  }
  let value = 0;
  for (const evs of byKey.values()) value = Math.max(value, measure(rule, evs));
  const firing = rule.op === 'gt' ? value > rule.threshold : value >= rule.threshold;
  return { value, threshold: rule.threshold, op: rule.op, firing, events: n };
}

export async function readRuleValue(
  deps: Deps,
  rules: readonly RuleSpec[],
  name: string,
  incidentKey: string | null,
  now: Date,
): Promise<RuleReading | null> {
  const rule = rules.find((r) => r.name === name);
  if (!rule || deps.config.events.store === 'none') return null;
  if (rule.groupWindowUs !== undefined && incidentKey) {
    const members = await openCampaignKeys(deps.db, rule.incident_type, incidentKey, MAX_MEMBERS);
    if (members) return readCampaignValue(deps, rule, members, now);
  }
  const filter: { ip?: string; userId?: string; route?: string } = {};
  if (rule.key !== 'global') {
    const prefix = rule.key === 'ip' ? 'ip:' : rule.key === 'user_id' ? 'user:' : 'route:';
    if (!incidentKey?.startsWith(prefix)) return null;
    const v = incidentKey.slice(prefix.length);
    if (rule.key === 'ip') filter.ip = v;
    else if (rule.key === 'user_id') filter.userId = v;
    else filter.route = v;
  }
  const untilUs = now.getTime() * 1000;
  const window = { types: [...new Set(rule.match.map((m) => m.type))], sinceUs: untilUs - rule.windowUs, untilUs, ...filter };
  if (rule.value.kind === 'count' && rule.match.every((m) => !m.where?.length)) {
    const value = await countWindowEvents(deps.db, window); // nothing to match field by field: let SQL count
    return {
      value,
      threshold: rule.threshold,
      op: rule.op,
      firing: rule.op === 'gt' ? value > rule.threshold : value >= rule.threshold,
      events: value,
    };
  }
  const events = await loadWindowEvents(deps.db, { ...window, limit: MAX_EVENTS });
  // A matcher: the rule's conditions, firing on every matching event.
  const matcher = new RuleEngine([
    { ...rule, key: 'global', value: { kind: 'count' }, threshold: 1, op: 'gte', windowUs: 1, cooldownUs: 0 },
  ]);
  const matched = events.filter((ev) => matcher.process(ev).length > 0);
  const value = measure(rule, matched as unknown as Record<string, unknown>[]);
  const firing = rule.op === 'gt' ? value > rule.threshold : value >= rule.threshold;
  return { value, threshold: rule.threshold, op: rule.op, firing, events: matched.length };
}

function measure(rule: RuleSpec, events: readonly Record<string, unknown>[]): number {
  const field = (ev: Record<string, unknown>, f: string): unknown =>
    ev[f] !== undefined ? ev[f] : (ev.attrs as Record<string, unknown> | undefined)?.[f];
  switch (rule.value.kind) {
    case 'count':
      return events.length;
    case 'distinct': {
      const f = rule.value.field;
      return new Set(
        events
          .map((ev) => field(ev, f))
          .filter((v) => v !== undefined && v !== null && v !== '')
          .map(String),
      ).size;
    }
    case 'percentile': {
      const f = rule.value.field;
      const samples = events
        .map((ev) => field(ev, f))
        .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
        .sort((a, b) => a - b);
      if (samples.length < Math.max(1, rule.value.min_samples)) return 0; // too few samples to say it is high
      const rank = Math.min(samples.length, Math.max(1, Math.ceil((rule.value.p * samples.length) / 100)));
      return samples[rank - 1]!;
    }
  }
}
