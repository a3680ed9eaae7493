/**
 * Shared body of the account actions (lock_account, revoke_sessions,
 * force_password_reset, protect_account): find the account, optionally record a `lock`
 * decision, then POST the signed webhook to the application. A non-2xx
 * answer or a network error is a retryable failure; the retry re-sends the
 * same body, and the lock decision is made once (fx.decide is idempotent per
 * action id).
 */
import { z } from 'zod';
import { formatDuration } from '../domain/duration.ts';
import { defaultReason, defineAction, keyPart, type Action } from './action.ts';
import { appWebhookPayload, type AppWebhookPayload } from './app-webhook.ts';
import { canonicalTarget } from './decision-target.ts';
import { durationFields, reasonField, resolveDuration } from './params.ts';

export const DEFAULT_LOCK_MS = 24 * 3_600_000;

const params = z
  .object({
    ...durationFields,
    user_id: z.string().optional(),
    /** Runbooks may name a group of accounts (`targeted_users`); only one explicit account is automated. */
    target: z.string().optional(),
    reason: reasonField,
  })
  .strict()
  .transform(resolveDuration);

const VERB: Record<AppWebhookPayload['action'], string> = {
  lock_account: 'lock account',
  revoke_sessions: 'revoke every session of',
  force_password_reset: 'force a password reset for',
  protect_account: 'ask for step-up authentication on',
};

export function accountAction(name: AppWebhookPayload['action'], opts: { lockDecision: boolean }): Action {
  return defineAction({
    name,
    remote: true,
    params,
    target(p, incident) {
      if (p.target !== undefined && p.user_id === undefined)
        return `${name}: target "${p.target}" is not automated yet; give params.user_id (one account)`;
      const raw = p.user_id ?? keyPart(incident, 'user');
      if (raw === null) return `${name} needs an account: the incident key is ${incident.dedup_key ?? 'empty'}; give params.user_id`;
      const c = canonicalTarget('user', raw);
      return c.ok ? { kind: 'user', value: c.value, key: `user:${c.value}` } : `${name}: user_id ${c.message}`;
    },
    describe: (p, t) =>
      `${VERB[name]} ${t.value} (signed webhook to the application)${opts.lockDecision ? `; lock decision for ${formatDuration(p.duration_ms ?? DEFAULT_LOCK_MS)}` : ''}`,
    async execute(inv, fx) {
      const userId = inv.target.value!;
      const reason = inv.params.reason ?? defaultReason(inv.incident);
      const data: Record<string, unknown> = {};
      if (opts.lockDecision) {
        const d = await fx.decide({
          scope: 'user',
          value: userId,
          type: 'lock',
          durationMs: inv.params.duration_ms ?? DEFAULT_LOCK_MS,
          reason,
        });
        if (d.status !== 'allowlisted') Object.assign(data, { decision_id: d.decision.id, until: d.decision.until });
      }
      const res = await fx.postToApp(
        appWebhookPayload({ actionId: inv.actionId, action: name, userId, incident: inv.incident, reason, at: inv.requestedAt }),
      );
      if (res.status !== undefined) data.http_status = res.status;
      if (res.ok) return { outcome: 'succeeded', message: `application confirmed: ${VERB[name]} ${userId}`, data };
      return {
        outcome: 'failed',
        retryable: res.retryable,
        ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
        message: res.error ?? 'application webhook failed',
        data,
      };
    },
  });
}
