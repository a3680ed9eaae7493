/**
 * Outbound webhooks to the protected application (lock account, revoke
 * sessions, force password reset) and to any URL (`webhook` action).
 *
 * The application receives
 *   POST app.webhook_url
 *   Content-Type: application/json
 *   Idempotency-Key: <action id>
 *   X-Firebreak-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with app.webhook_secret>
 *   {"id": <action id>, "action", "user_id", "incident": {id, type, severity, title}, "reason", "at"}
 * A retry sends the same body (same `at`) with a fresh signature, so the
 * application applies each action id once. See README "Application webhooks"
 * for verification code.
 */
import { postJson, signWebhook, type HttpChannelDeps } from '../notify/webhook-channel.ts';
import type { DeliveryResult } from '../notify/channel.ts';
import type { Incident } from '../domain/incident.ts';

export interface AppWebhookPayload {
  id: string;
  action: 'lock_account' | 'revoke_sessions' | 'force_password_reset' | 'protect_account';
  user_id: string;
  incident: { id: string; type: string; severity: string; title: string };
  reason: string;
  at: string;
}

export function appWebhookPayload(p: {
  actionId: string;
  action: AppWebhookPayload['action'];
  userId: string;
  incident: Incident;
  reason: string;
  at: Date;
}): AppWebhookPayload {
  const { id, type, severity, title } = p.incident;
  return {
    id: p.actionId,
    action: p.action,
    user_id: p.userId,
    incident: { id, type, severity, title },
    reason: p.reason,
    at: p.at.toISOString(),
  };
}

export interface SignedPostDeps extends HttpChannelDeps {
  now: () => number;
}

/** POSTs `body` as JSON with an Idempotency-Key and, when `secret` is set, the signature header. Never throws. */
export function postSigned(
  name: string,
  url: string,
  body: unknown,
  idempotencyKey: string,
  secret: string | undefined,
  deps: SignedPostDeps,
): Promise<DeliveryResult> {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = { 'idempotency-key': idempotencyKey };
  if (secret) headers['x-firebreak-signature'] = signWebhook(raw, secret, deps.now());
  return postJson(name, url, raw, headers, deps);
}

/** Sender for `app.webhook_url`: refuses (final, not retryable) when the application is not configured. */
export function createAppWebhookSender(
  app: { webhook_url?: string; webhook_secret?: string },
  deps: SignedPostDeps,
): (p: AppWebhookPayload) => Promise<DeliveryResult> {
  return async (p) => {
    if (!app.webhook_url)
      return {
        ok: false,
        retryable: false,
        error: 'app.webhook_url is not configured: set it (and app.webhook_secret) so Firebreak can tell the application',
      };
    return postSigned('app webhook', app.webhook_url, p, p.id, app.webhook_secret, deps);
  };
}
