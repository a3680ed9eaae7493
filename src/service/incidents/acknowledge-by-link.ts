/**
 * One-click acknowledgement from a notification: `<public_url>/ack/<token>`.
 * The link is the credential (signed, expiring after 24 h, single-use), so
 * no API token is needed. Inspecting a link changes nothing (GET shows a
 * confirmation page, so link prefetchers and mail scanners acknowledge
 * nothing); acknowledging records the link's nonce in the same transaction
 * as the acknowledgement, so a link works once, even raced.
 *
 * | link                          | inspect     | acknowledge                          |
 * |-------------------------------|-------------|--------------------------------------|
 * | malformed / bad signature     | invalid     | forbidden                            |
 * | expired                       | expired     | forbidden                            |
 * | nonce already used            | used        | conflict "already used"              |
 * | incident not triggered        | acknowledged / resolved | conflict (nothing recorded) |
 * | otherwise                     | ready       | acknowledged; escalation stopped     |
 */
import { AppError } from '../../errors.ts';
import { verifyAckToken, type AckTokenPayload } from '../../notify/ack-link.ts';
import type { Incident } from '../../domain/incident.ts';
import { getIncident } from '../../store/incident-repo.ts';
import { findNotificationByNonce } from '../../store/notification-repo.ts';
import { findUsedAckNonce, useAckNonce } from '../../store/ack-nonce-repo.ts';
import { getEscalation, disarmTimerNoWait } from '../../store/escalation-repo.ts';
import type { Actor } from '../core/context.ts';
import type { EscalationDeps } from '../escalation/escalation-deps.ts';
import { transitionIncident } from './transition-incident.ts';
import { ACK_TIMER } from './open-incident.ts';
import { runFromRow, stopRun } from '../escalation/escalation-step.ts';

export type AckLinkState =
  | { state: 'invalid' | 'expired' }
  | { state: 'used'; incident: Incident | null; usedBy: string; usedAt: string }
  | { state: 'ready' | 'acknowledged' | 'resolved'; incident: Incident; level: number };

/** What the link would do, without doing it. */
export async function inspectAckLink(deps: EscalationDeps, token: string): Promise<AckLinkState> {
  const v = verifyAckToken(token, deps.ackSecret, deps.clock().getTime());
  if (!v.ok) return { state: v.reason === 'expired' ? 'expired' : 'invalid' };
  const incident = await getIncident(deps.db, v.payload.incidentId);
  const used = await findUsedAckNonce(deps.db, v.payload.nonce);
  if (used) return { state: 'used', incident, usedBy: used.used_by, usedAt: used.used_at };
  if (!incident) return { state: 'invalid' };
  const state = incident.status === 'triggered' ? 'ready' : incident.status;
  return { state, incident, level: v.payload.level };
}

/** Acknowledges the incident of a valid, unused link. */
export async function acknowledgeByLink(deps: EscalationDeps, token: string, ip?: string): Promise<Incident> {
  const v = verifyAckToken(token, deps.ackSecret, deps.clock().getTime());
  if (!v.ok)
    throw new AppError(
      'forbidden',
      v.reason === 'expired' ? 'this acknowledge link has expired (links work for 24 hours)' : 'this acknowledge link is not valid',
    );
  const p: AckTokenPayload = v.payload;
  const used = await findUsedAckNonce(deps.db, p.nonce);
  if (used) throw new AppError('conflict', `this acknowledge link was already used (by ${used.used_by} at ${used.used_at})`);
  const sent = await findNotificationByNonce(deps.db, p.nonce);
  const who = sent?.recipient ?? `level ${p.level} recipient`;
  const actor: Actor = { id: `ack-link:${sent?.id ?? p.nonce.slice(0, 8)}`, name: `${who} (acknowledge link)`, role: 'system', ip };
  return transitionIncident(deps, actor, p.incidentId, {
    verb: 'acknowledge',
    event: 'incident.acknowledged',
    changes: (i, now) => ({ acknowledged_at: i.acknowledged_at ? new Date(i.acknowledged_at) : now, acknowledged_by: actor.name }),
    message: (i) => `Acknowledged by ${who} through the link sent at level ${p.level}${i.sla_breached ? ' (after the deadline)' : ''}`,
    after: async (q, i, now) => {
      if (!(await useAckNonce(q, { nonce: p.nonce, incidentId: i.id, usedAt: now, expiresAt: new Date(p.expiresAtMs), usedBy: who }))) {
        throw new AppError('conflict', 'this acknowledge link was already used');
      }
      await disarmTimerNoWait(q, ACK_TIMER, i.id);
      const row = await getEscalation(q, i.id, true);
      if (row && !row.stopped) await stopRun(q, runFromRow(row), now);
    },
  });
}
