/** Builds what a channel sends for one outbox row, and the timeline wording about it. */
import type { Config } from '../../config.ts';
import type { Notification, NotificationKind } from '../../notify/channel.ts';
import type { NotificationRow } from '../../store/notification-repo.ts';
import type { Incident } from '../../domain/incident.ts';

export function buildNotification(
  config: Pick<Config, 'people'>,
  incident: Incident,
  n: NotificationRow,
  links: { ackUrl?: string; incidentUrl: string },
): Notification {
  const msg: Notification = {
    kind: n.kind as NotificationKind,
    incident: {
      id: incident.id,
      type: incident.type,
      severity: incident.severity,
      status: incident.status,
      title: incident.title,
      created_at: incident.created_at,
      ack_deadline: incident.ack_deadline,
      url: links.incidentUrl,
    },
    level: n.level,
  };
  if (incident.description) msg.incident.description = incident.description;
  if (incident.dedup_key) msg.incident.dedup_key = incident.dedup_key;
  if (links.ackUrl) msg.ackUrl = links.ackUrl;
  if (n.recipient) {
    const p = config.people.find((x) => x.id === n.recipient);
    msg.recipient = { id: n.recipient, ...(p?.name ? { name: p.name } : {}), ...(p?.email ? { email: p.email } : {}) };
  }
  return msg;
}

/** "Level 2: bob through mail (schedule:primary)", "Level 1: channel ops-hook" */
export function describeDelivery(n: Pick<NotificationRow, 'level' | 'target' | 'channel' | 'recipient'>): string {
  if (!n.recipient) return `Level ${n.level}: channel ${n.channel}`;
  return `Level ${n.level}: ${n.recipient} through ${n.channel}${n.target === `person:${n.recipient}` ? '' : ` (${n.target})`}`;
}

export function deliveryData(n: NotificationRow, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    notification_id: n.id,
    level: n.level,
    cycle: n.cycle,
    target: n.target,
    channel: n.channel,
    recipient: n.recipient,
    attempt: n.attempts,
    ...extra,
  };
}
