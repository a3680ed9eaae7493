/**
 * What the escalation and notification verbs need beyond Deps: the channels
 * built from `channels:` (plus the log fallback), the ack-link secret, and the
 * base of the links put in notifications. main.ts builds it once.
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from '../../notify/channel.ts';
import { getOrCreateSetting } from '../../store/settings-repo.ts';
import type { Deps } from '../core/context.ts';

export interface EscalationDeps extends Deps {
  channels: ReadonlyMap<string, Channel>;
  /** Name of the channel used when nothing else is configured (a `log` channel). */
  logChannel: string;
  /** HMAC secret of ack links; a bearer credential: never logged. */
  ackSecret: string;
  /** `server.public_url`, or the address the server listens on. No trailing slash. */
  publicUrl(): string;
}

/** Timer kinds of escalation (ref = incident id) and notification delivery (ref = notification id). */
export const ESCALATE_TIMER = 'escalate';
export const NOTIFY_TIMER = 'notify';
export const NOTIFY_LEASE_TIMER = 'notify_lease';

/** How long a claimed notification may stay `sending` before the watchdog decides for it. */
export const NOTIFY_LEASE_MS = 30_000;

/** Ack links expire this long after they were sent. */
export const ACK_LINK_TTL_MS = 24 * 3_600_000;

/** The ack-link secret, generated once and shared through the database by every process. */
export function loadAckSecret(deps: Pick<Deps, 'db' | 'clock'>): Promise<string> {
  return getOrCreateSetting(deps.db, 'ack_link_secret', () => randomBytes(32).toString('base64url'), deps.clock());
}
