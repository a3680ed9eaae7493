/**
 * Generic webhook channel: POSTs `{event, incident, level, ack_url}` as JSON.
 *
 * When the channel has a `secret`, the request carries
 * `X-Firebreak-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * (the Stripe scheme): receivers recompute it over the raw bytes, compare in
 * constant time and reject stale `t` to stop replays.
 *
 * Also home of `postJson`, the one HTTP delivery routine that the Slack channel
 * reuses, and of the status → retryable verdict:
 *   2xx ok; 429, 5xx, timeouts and network errors retryable; any other status
 *   (4xx, and 3xx: redirects are never followed, so a moved hook cannot bounce
 *   a signed body elsewhere) is final.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SEND_TIMEOUT_MS, type Channel, type DeliveryResult, type Notification } from './channel.ts';

/** Dependencies of the HTTP channels; all optional. */
export interface HttpChannelDeps {
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Per-attempt timeout; default 10 s. */
  timeoutMs?: number;
  /** Clock for the signature timestamp; default `Date.now`. */
  now?: () => number;
}

export interface WebhookChannelConfig {
  name: string;
  url: string;
  secret?: string;
}

/** The value of `X-Firebreak-Signature` for `rawBody` at `nowMs`. */
export function signWebhook(rawBody: string, secret: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * Checks an `X-Firebreak-Signature` header against the raw body: the HMAC must
 * match (constant-time) and `t` must be within `toleranceMs` of `nowMs`.
 */
export function verifyWebhookSignature(header: string, rawBody: string, secret: string, nowMs: number, toleranceMs = 300_000): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowMs - t * 1000) > toleranceMs) return false;
  const want = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
}

/** Whether a non-2xx HTTP status is worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/**
 * POSTs a JSON body once and classifies the outcome. Never throws. Errors name
 * the channel, never the URL (Slack-style URLs are secrets).
 */
export async function postJson(
  channelName: string,
  url: string,
  rawBody: string,
  headers: Record<string, string>,
  deps: HttpChannelDeps,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const doFetch = deps.fetch ?? fetch;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'firebreak', ...headers },
      body: rawBody,
      redirect: 'manual',
      signal: combined,
    });
    // Read (a bounded part of) the body so the connection can be reused. Only a
    // bare error code (Slack answers `invalid_payload`, `no_service`) is kept: an
    // answer's text is never echoed, so a webhook aimed at an internal page
    // cannot read it back through the timeline.
    const answer = (await res.text()).slice(0, 200).trim();
    const text = /^[a-z][a-z0-9_]{0,39}$/.test(answer) ? answer : '';
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, retryable: false };
    const result: DeliveryResult = {
      ok: false,
      status: res.status,
      error: `${channelName}: HTTP ${res.status}${text ? ` ${text}` : ''}`,
      retryable: isRetryableStatus(res.status),
    };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), (deps.now ?? Date.now)());
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
    return result;
  } catch (err) {
    if (signal?.aborted) return { ok: false, error: `${channelName}: aborted`, retryable: true };
    if (timeout.aborted) return { ok: false, error: `${channelName}: timed out after ${timeoutMs} ms`, retryable: true };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // outbound.allow refused the address (src/respond/outbound-fetch.ts): final, retrying cannot help.
    if (cause?.code === 'EOUTBOUND_REFUSED') return { ok: false, error: `${channelName}: ${cause.message ?? 'refused'}`, retryable: false };
    const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return { ok: false, error: `${channelName}: network error: ${reason}`, retryable: true };
  }
}

/** The JSON body a webhook receives. `level` is 1-based; absent values are null. */
export function webhookBody(msg: Notification): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event: msg.kind,
    incident: msg.incident,
    level: msg.level ?? null,
    ack_url: msg.ackUrl ?? null,
  };
  if (msg.recipient) body.recipient = msg.recipient;
  if (msg.text !== undefined) body.text = msg.text;
  return body;
}

/** Creates a generic webhook channel. */
export function createWebhookChannel(config: WebhookChannelConfig, deps: HttpChannelDeps = {}): Channel {
  const now = deps.now ?? Date.now;
  return {
    name: config.name,
    type: 'webhook',
    send(msg, signal) {
      const raw = JSON.stringify(webhookBody(msg));
      const headers: Record<string, string> = {};
      if (config.secret) headers['x-firebreak-signature'] = signWebhook(raw, config.secret, now());
      return postJson(config.name, config.url, raw, headers, deps, signal);
    },
  };
}
