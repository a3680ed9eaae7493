/** Read side of escalation: an incident's run and its notifications, the policies, channel health. */
import { AppError } from '../../errors.ts';
import { isExhausted, type FrozenPolicy } from '../../domain/escalation.ts';
import { formatDuration } from '../../domain/duration.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { getEscalation } from '../../store/escalation-repo.ts';
import { listNotifications, channelStats, type NotificationRow } from '../../store/notification-repo.ts';
import type { Actor } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import type { EscalationDeps } from './escalation-deps.ts';
import { listPolicies } from './escalation-policy.ts';
import { runFromRow } from './escalation-step.ts';

export interface IncidentEscalation {
  incident_id: string;
  policy: { name: string; repeat: number; levels: { level: number; name: string | null; notify: string[]; timeout: string }[] } | null;
  level: number | null;
  cycle: number | null;
  next_at: string | null;
  stopped: boolean;
  exhausted: boolean;
  notifications: Omit<NotificationRow, 'claim_id'>[];
}

function showPolicy(p: FrozenPolicy): NonNullable<IncidentEscalation['policy']> {
  return {
    name: p.name,
    repeat: p.repeat,
    levels: p.levels.map((l, i) => ({ level: i + 1, name: l.name ?? null, notify: [...l.targets], timeout: formatDuration(l.timeoutMs) })),
  };
}

export async function getIncidentEscalation(deps: EscalationDeps, actor: Actor, id: string): Promise<IncidentEscalation> {
  authorize(actor, 'read');
  const incident = await getIncident(deps.db, id);
  if (!incident) throw new AppError('not_found', `incident ${id} not found`);
  const row = await getEscalation(deps.db, id);
  const notifications = (await listNotifications(deps.db, id)).map(({ claim_id: _c, ...rest }) => rest);
  if (!row)
    return { incident_id: id, policy: null, level: null, cycle: null, next_at: null, stopped: false, exhausted: false, notifications };
  const run = runFromRow(row);
  return {
    incident_id: id,
    policy: showPolicy(run.policy),
    level: row.level,
    cycle: row.cycle,
    next_at: row.next_at ? row.next_at.toISOString() : null,
    stopped: row.stopped,
    exhausted: isExhausted(run.state),
    notifications,
  };
}

export function listEscalationPolicies(deps: EscalationDeps, actor: Actor) {
  authorize(actor, 'read');
  return listPolicies(deps.config, deps.logChannel).map((p) => ({
    name: p.name,
    source: p.source,
    repeat: p.repeat ?? 0,
    level_timeout: p.level_timeout === undefined ? null : formatDuration(p.level_timeout),
    levels: p.levels.map((l, i) => ({
      level: i + 1,
      name: l.name ?? null,
      notify: [...l.notify],
      timeout: l.timeout === undefined ? null : formatDuration(l.timeout),
    })),
  }));
}

/**
 * Health of every channel over the last 24 hours, for /api/health/detailed:
 * `degraded` when its latest attempt failed (a channel that keeps failing
 * stays degraded until one attempt succeeds).
 */
export async function channelHealth(deps: EscalationDeps): Promise<{ status: 'ok' | 'degraded'; channels: Record<string, unknown> }> {
  const since = new Date(deps.clock().getTime() - 24 * 3_600_000);
  const stats = new Map((await channelStats(deps.db, since)).map((s) => [s.channel, s]));
  const channels: Record<string, unknown> = {};
  let degraded = false;
  for (const [name, ch] of deps.channels) {
    const s = stats.get(name);
    const failing = !!s?.last_failure_at && (!s.last_success_at || s.last_failure_at > s.last_success_at);
    degraded ||= failing;
    channels[name] = {
      status: failing ? 'degraded' : 'ok',
      type: ch.type,
      sent_24h: s?.sent ?? 0,
      failed_24h: s?.failed ?? 0,
      pending: s?.pending ?? 0,
      last_success_at: s?.last_success_at ?? null,
      last_failure_at: s?.last_failure_at ?? null,
      ...(failing && s?.last_error ? { last_error: s.last_error } : {}),
    };
  }
  return { status: degraded ? 'degraded' : 'ok', channels };
}
