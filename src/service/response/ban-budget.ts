/**
 * The ban budget (config `decisions.ban_budget`): automated bans one source
 * may cause per minute. A source is what Firebreak can trace an automated ban
 * to: the rule (or runbook) that asked for it, fed by the events of every
 * ingest token and log file. A forged flood of events, from a leaked ingest
 * token or a log line anyone can write, can then ban at most that many
 * addresses a minute; past it the bans are skipped (the action run says so)
 * and one `ban_budget_exceeded` incident per source and minute tells people,
 * who decide. Counted in this process's memory: each instance of a cluster
 * has its own budget.
 */
import { SlidingLimiter } from '../../domain/failure-limiter.ts';
import { SYSTEM } from '../core/context.ts';
import { openIncident } from '../incidents/open-incident.ts';
import type { RespondDeps } from './respond-deps.ts';

const WINDOW_MS = 60_000;
interface Budget {
  limiter: SlidingLimiter;
  /** When each source's last incident was raised. */
  raised: Map<string, number>;
  /** Action runs that already spent budget: a transaction run again, or the durable retry of a fast-path run, spends none. */
  granted: Set<string>;
}
const budgets = new WeakMap<object, Budget>();

/**
 * Null when `source` may ban once more now (counted once per action run), else
 * why not. Raises the incident at the first refusal of a minute.
 */
export function takeBanBudget(deps: RespondDeps, source: string, runId: string, now: Date): string | null {
  let b = budgets.get(deps.db);
  if (!b) {
    const limiter = new SlidingLimiter({ limit: deps.config.decisions.ban_budget, windowMs: WINDOW_MS });
    budgets.set(deps.db, (b = { limiter, raised: new Map(), granted: new Set() }));
  }
  if (b.granted.has(runId)) return null;
  const t = now.getTime();
  if (b.limiter.blockedForMs(source, t) === 0) {
    b.limiter.record(source, t);
    if (b.granted.size >= 100_000) b.granted.clear();
    b.granted.add(runId);
    return null;
  }
  const limit = deps.config.decisions.ban_budget;
  const message = `not banned: ${source} reached the ban budget (${limit} automated bans a minute, decisions.ban_budget); an incident asks a person to decide`;
  if ((b.raised.get(source) ?? -Infinity) <= t - WINDOW_MS) {
    b.raised.set(source, t);
    if (b.raised.size > 1000) b.raised.clear();
    deps.response.background('ban budget incident', () =>
      openIncident(deps, SYSTEM, {
        type: 'ban_budget_exceeded',
        severity: 'high',
        title: `Automated bans paused: ${source} asked for more than ${limit} bans in a minute`,
        description: `Firebreak stopped banning for ${source} until its rate falls under decisions.ban_budget (${limit} a minute). This can be a real attack from many addresses, or forged events (a leaked ingest token, a writable log). Check the sources of the events, then ban by hand or raise the budget.`,
        dedup_key: `source:${source}`,
      }),
    );
  }
  return message;
}
