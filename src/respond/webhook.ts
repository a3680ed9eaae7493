/**
 * webhook: POST the incident to any URL as JSON, with `Idempotency-Key: <action id>`
 * and, when `secret` is given, the same `X-Firebreak-Signature` as the
 * application webhooks. Non-2xx answers and network errors are retried.
 */
import { z } from 'zod';
import { defaultReason, defineAction } from './action.ts';
import { reasonField } from './params.ts';

const params = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
    secret: z.string().min(16).optional(),
    body: z.record(z.string(), z.unknown()).optional(),
    reason: reasonField,
  })
  .strict();

export const webhook = defineAction({
  name: 'webhook',
  remote: true,
  params,
  target: (p) => {
    const host = new URL(p.url).host;
    return { kind: 'webhook', value: host, key: `webhook:${host}` };
  },
  describe: (_p, t) => `POST the incident to ${t.value}`,
  async execute(inv, fx) {
    const { id, type, severity, title, status, dedup_key } = inv.incident;
    const body = {
      id: inv.actionId,
      action: 'webhook',
      incident: { id, type, severity, title, status, dedup_key },
      reason: inv.params.reason ?? defaultReason(inv.incident),
      at: inv.requestedAt.toISOString(),
      ...(inv.params.body ? { data: inv.params.body } : {}),
    };
    const res = await fx.postWebhook(inv.params.url, body, inv.actionId, inv.params.secret);
    const data = res.status !== undefined ? { http_status: res.status } : undefined;
    if (res.ok) return { outcome: 'succeeded', message: `delivered to ${inv.target.value}`, ...(data ? { data } : {}) };
    return {
      outcome: 'failed',
      retryable: res.retryable,
      ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
      message: res.error ?? 'webhook failed',
      ...(data ? { data } : {}),
    };
  },
});
