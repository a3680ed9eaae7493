/**
 * SMTP email channel (nodemailer). One SMTP connection per message: incident
 * mail is rare, and a fresh connection never inherits a broken one.
 *
 * - Subject: `[FIREBREAK][CRITICAL] <title>`, plus `(acknowledged)`,
 *   `(resolved)`, `(escalated to level N)`, `(reminder)`, `(test)` for the
 *   other kinds, so one incident's mails still sort together.
 * - Every mail of one incident carries `References: <incident-ID@firebreak>`
 *   so mail clients thread them.
 * - Recipients: the notification's `recipient.email`, else the channel's `to`.
 * - Bodies: plain text and HTML; every interpolated value in the HTML is
 *   escaped, and only http(s) links become anchors.
 * - Retry verdict: SMTP 4xx replies and connection/timeout errors are
 *   retryable; 5xx replies, authentication and TLS errors are final.
 * - Time: connect, greeting and socket inactivity each time out after
 *   `timeoutMs`, and the whole attempt is abandoned after `timeoutMs` too, so
 *   a server that greets and then answers one byte a minute cannot hold an
 *   attempt longer than that.
 */
import nodemailer from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { DEFAULT_SEND_TIMEOUT_MS, describeNotification, type Channel, type DeliveryResult, type Notification } from './channel.ts';

export interface EmailChannelConfig {
  name: string;
  /** `smtp://host:port` or `smtps://user:pass@host:port` (credentials never logged). */
  smtp_url: string;
  from: string;
  to?: readonly string[];
}

export interface EmailChannelDeps {
  /** Per-attempt timeout for connect, greeting and socket inactivity; default 10 s. */
  timeoutMs?: number;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const isHttpUrl = (u: string | undefined): u is string => !!u && /^https?:\/\//i.test(u);

/** The subject line. Line breaks in the title are flattened (header injection is impossible anyway: nodemailer encodes headers). */
export function emailSubject(msg: Notification): string {
  const suffix: Record<Notification['kind'], string> = {
    'incident.triggered': '',
    'incident.escalated': msg.level !== undefined ? ` (escalated to level ${msg.level})` : ' (escalated)',
    'incident.acknowledged': ' (acknowledged)',
    'incident.resolved': ' (resolved)',
    reminder: ' (reminder)',
    test: ' (test)',
  };
  const title = msg.incident.title.replace(/[\r\n]+/g, ' ');
  return `[FIREBREAK][${msg.incident.severity.toUpperCase()}] ${title}${suffix[msg.kind]}`;
}

function detailRows(msg: Notification): [string, string][] {
  const inc = msg.incident;
  const rows: [string, string][] = [
    ['Incident', inc.id],
    ['Type', inc.type],
    ['Severity', inc.severity],
    ['Status', inc.status],
    ['Created', inc.created_at],
    ['Acknowledge by', inc.ack_deadline],
  ];
  if (msg.level !== undefined) rows.push(['Escalation level', String(msg.level)]);
  if (inc.dedup_key) rows.push(['Dedup key', inc.dedup_key]);
  return rows;
}

/** The plain-text body. */
export function emailText(msg: Notification): string {
  const lines = [describeNotification(msg), ''];
  for (const [k, v] of detailRows(msg)) lines.push(`${k}: ${v}`);
  if (msg.incident.description) lines.push('', msg.incident.description);
  if (isHttpUrl(msg.ackUrl)) lines.push('', `Acknowledge: ${msg.ackUrl}`);
  if (isHttpUrl(msg.incident.url)) lines.push(`Open incident: ${msg.incident.url}`);
  return `${lines.join('\n')}\n`;
}

/** The HTML body; every value is escaped. */
export function emailHtml(msg: Notification): string {
  const e = escapeHtml;
  const rows = detailRows(msg)
    .map(([k, v]) => `<tr><th align="left">${e(k)}</th><td>${e(v)}</td></tr>`)
    .join('');
  const parts = [`<p>${e(describeNotification(msg))}</p>`, `<table>${rows}</table>`];
  if (msg.incident.description) parts.push(`<p style="white-space:pre-wrap">${e(msg.incident.description)}</p>`);
  if (isHttpUrl(msg.ackUrl)) parts.push(`<p><a href="${e(msg.ackUrl)}"><strong>Acknowledge</strong></a></p>`);
  if (isHttpUrl(msg.incident.url)) parts.push(`<p><a href="${e(msg.incident.url)}">Open incident</a></p>`);
  return `<!doctype html><html><body>${parts.join('\n')}</body></html>`;
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  message?: string;
}

function classify(channelName: string, err: unknown): DeliveryResult {
  const e = (err ?? {}) as SmtpError;
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  let retryable: boolean;
  if (status !== undefined) retryable = status >= 400 && status < 500;
  else retryable = !['EAUTH', 'ETLS', 'EENVELOPE', 'EMESSAGE', 'ENOAUTH', 'EOAUTH2'].includes(e.code ?? '');
  const result: DeliveryResult = {
    ok: false,
    error: `${channelName}: ${e.code ? `${e.code} ` : ''}${e.message ?? String(err)}`,
    retryable,
  };
  if (status !== undefined) result.status = status;
  return result;
}

/**
 * The SMTP transport with our timeouts applied. Built as an SMTPTransport
 * object on purpose: `nodemailer.createTransport({ url, greetingTimeout, ... })`
 * keeps only what it parses out of `url` and silently drops every other key
 * (lib/nodemailer.js: `options = shared.parseConnectionUrl(transporter.url)`),
 * which left nodemailer's 30 s greeting and 10 min socket defaults in force.
 * SMTPTransport's own constructor merges `url` with the other options.
 */
export function smtpTransportOptions(smtpUrl: string, timeoutMs: number): SMTPTransport.Options {
  return {
    url: smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
  };
}

/** Creates an SMTP email channel. */
export function createEmailChannel(config: EmailChannelConfig, deps: EmailChannelDeps = {}): Channel {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const smtp = new SMTPTransport(smtpTransportOptions(config.smtp_url, timeoutMs));
  const transport = nodemailer.createTransport(smtp);
  return {
    name: config.name,
    type: 'email',
    async send(msg, signal) {
      const to = msg.recipient?.email ? [msg.recipient.email] : [...(config.to ?? [])];
      if (to.length === 0) return { ok: false, error: `${config.name}: no recipient address`, retryable: false };
      if (signal?.aborted) return { ok: false, error: `${config.name}: aborted`, retryable: true };
      const threadId = `<incident-${msg.incident.id.replace(/[^A-Za-z0-9._-]/g, '_')}@firebreak>`;
      const sending = transport.sendMail({
        from: config.from,
        to,
        subject: emailSubject(msg),
        text: emailText(msg),
        html: emailHtml(msg),
        references: threadId,
        headers: { 'X-Firebreak-Incident': msg.incident.id, 'X-Firebreak-Event': msg.kind },
      });
      // nodemailer cannot cancel a send in flight: on abort or at the attempt
      // deadline we stop waiting (the mail may still go out, which is the
      // lesser evil than hanging). Its own socket timeout closes the
      // connection shortly after.
      let onAbort: (() => void) | undefined;
      let deadline: NodeJS.Timeout | undefined;
      const stopped = new Promise<DeliveryResult>((resolve) => {
        onAbort = () => resolve({ ok: false, error: `${config.name}: aborted`, retryable: true });
        signal?.addEventListener('abort', onAbort, { once: true });
        deadline = setTimeout(
          () =>
            resolve({ ok: false, error: `${config.name}: ETIMEDOUT the SMTP exchange took longer than ${timeoutMs} ms`, retryable: true }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([
          sending.then((info): DeliveryResult => {
            const accepted = (info.accepted ?? []).length;
            if (accepted === 0) return { ok: false, error: `${config.name}: every recipient was rejected`, retryable: false };
            return { ok: true, retryable: false };
          }),
          stopped,
        ]);
      } catch (err) {
        return classify(config.name, err);
      } finally {
        clearTimeout(deadline);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        // A rejected send after an abort is already reported; keep it from going unhandled.
        sending.catch(() => undefined);
      }
    },
  };
}
