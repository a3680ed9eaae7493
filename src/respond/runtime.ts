/**
 * What the response layer needs from the composition root, built once by
 * main.ts: the action registry, the HTTP senders (application webhook,
 * generic webhooks), the notify hook, and a tracker for work that runs off
 * the request or detection path (remote actions' attempts) so close() can
 * wait for it.
 */
import type { Logger } from 'pino';
import type { DeliveryResult } from '../notify/channel.ts';
import type { NotifyRequest } from './action.ts';
import { createAppWebhookSender, postSigned, type AppWebhookPayload } from './app-webhook.ts';
import { ACTIONS, type ActionRegistry } from './registry.ts';

/** Delivers a `notify` action. Wire notification channels here (main.ts). */
export type NotifyHook = (n: NotifyRequest) => Promise<DeliveryResult>;

export interface ResponseRuntime {
  readonly actions: ActionRegistry;
  postToApp(p: AppWebhookPayload): Promise<DeliveryResult>;
  postWebhook(url: string, body: Record<string, unknown>, idempotencyKey: string, secret?: string): Promise<DeliveryResult>;
  notify: NotifyHook;
  /** Runs `task` in the background; failures are logged. */
  background(name: string, task: () => Promise<unknown>): void;
  /** Resolves when no background task is running (close() waits for this). */
  idle(): Promise<void>;
}

export interface ResponseRuntimeOptions {
  app: { webhook_url?: string; webhook_secret?: string };
  /** Per-attempt timeout of outbound HTTP. */
  timeoutMs: number;
  logger: Pick<Logger, 'error' | 'info'>;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** For the `webhook` action: the guarded fetch (src/respond/outbound-fetch.ts) made from `outbound.allow`. */
  webhookFetch?: typeof fetch;
  /** Default: Date.now (signature timestamps). */
  now?: () => number;
  /** Default: record only (the timeline entry is the notification). */
  notify?: NotifyHook;
  actions?: ActionRegistry;
}

/** Without channels, a notification is the timeline entry the action run writes. */
const recordOnly: NotifyHook = async () => ({ ok: true, retryable: false });

export function createResponseRuntime(o: ResponseRuntimeOptions): ResponseRuntime {
  const http = { fetch: o.fetch, timeoutMs: o.timeoutMs, now: o.now ?? Date.now };
  const toApp = createAppWebhookSender(o.app, http);
  const running = new Set<Promise<unknown>>();
  return {
    actions: o.actions ?? ACTIONS,
    postToApp: toApp,
    postWebhook: (url, body, key, secret) =>
      postSigned('webhook', url, body, key, secret, { ...http, fetch: o.webhookFetch ?? http.fetch }),
    notify: o.notify ?? recordOnly,
    background(name, task) {
      const p: Promise<unknown> = Promise.resolve()
        .then(task)
        .catch((err: unknown) => o.logger.error({ err, task: name }, 'background response task failed'))
        .finally(() => running.delete(p));
      running.add(p);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
