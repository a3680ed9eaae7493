/**
 * Real peers for notification tests: a loopback webhook receiver and an SMTP
 * sink (the `smtp-server` package), both on port 0. They record what arrives.
 */
import { createServer, type Server } from 'node:http';
import { SMTPServer } from 'smtp-server';

export interface WebhookSink {
  url: string;
  received: { body: any; headers: Record<string, string | string[] | undefined> }[];
  /** Answer with this status (default 200). */
  status: number;
  close(): Promise<void>;
}

export async function startWebhookSink(path = '/hook'): Promise<WebhookSink> {
  const sink: WebhookSink = { url: '', received: [], status: 200, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* keep text */
      }
      sink.received.push({ body, headers: req.headers });
      res.writeHead(sink.status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

export interface Mail {
  to: string[];
  raw: string;
  /** Headers, lower-cased names (first occurrence). */
  headers: Record<string, string>;
  /** Text with quoted-printable soft breaks and escapes decoded. */
  text: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  mails: Mail[];
  close(): Promise<void>;
}

function decodeQuotedPrintable(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
        const headers: Record<string, string> = {};
        for (const line of head.split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).toLowerCase()] ??= line.slice(i + 1).trim();
        }
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, headers, text: decodeQuotedPrintable(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export { waitFor } from './wait-for.ts';
