/**
 * A loopback stand-in for the protected application's webhook endpoint:
 * records every request (raw body, headers) and answers from a script
 * (default: 500 to the first request of each Idempotency-Key, 200 after),
 * applying each key at most once, as an application following the README does.
 */
import http from 'node:http';

export interface ReceivedHook {
  at: number;
  raw: string;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Keys answered 2xx, in order: what the application applied. */
  applied: string[];
  /** Decides the status of each request; `seen` = earlier requests with the same key. */
  answer: (hook: Omit<ReceivedHook, 'status'>, seen: number) => number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  answer: WebhookReceiver['answer'] = (_h, seen) => (seen === 0 ? 500 : 200),
): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const applied: string[] = [];
  const r: WebhookReceiver = {
    url: '',
    received,
    applied,
    answer,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const seen = received.filter((h) => h.headers['idempotency-key'] === key).length;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        /* recorded as is */
      }
      const hook = { at: Date.now(), raw, body, headers: req.headers };
      let status = r.answer(hook, seen);
      if (status >= 200 && status < 300) {
        if (applied.includes(key))
          status = 200; // already applied: acknowledge, do nothing
        else applied.push(key);
      }
      received.push({ ...hook, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: status < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/internal/firebreak`;
  return r;
}
