/**
 * A loopback stand-in for a Microsoft Teams Workflows webhook: it checks each
 * posted body against the essentials Teams needs to render an Adaptive Card
 * (and refuses it with 400, as a workflow does, when they are missing), then
 * answers 202 Accepted.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';

export interface CardAction {
  type: string;
  title: string;
  url: string;
}
export interface Card {
  type: 'AdaptiveCard';
  version: string;
  body: Record<string, unknown>[];
  actions: CardAction[];
}

const ELEMENT_TYPES = new Set(['TextBlock', 'FactSet', 'ColumnSet', 'Container', 'Image', 'RichTextBlock']);

/**
 * Asserts the Teams message shape and returns its card: `type: message`, one
 * attachment of content type `application/vnd.microsoft.card.adaptive`,
 * `content.type: AdaptiveCard` with a `major.minor` version, a non-empty
 * `body` of known elements (TextBlocks with text, FactSets of string pairs),
 * and `actions` that are `Action.OpenUrl` with a title and an http(s) url,
 * the first one "Acknowledge" unless `needAck` is false.
 */
export function assertTeamsCard(message: unknown, opts: { needAck?: boolean } = {}): Card {
  const m = message as { type?: unknown; attachments?: unknown };
  assert.equal(m.type, 'message', 'type: message');
  assert.ok(Array.isArray(m.attachments) && m.attachments.length === 1, 'exactly one attachment');
  const att = m.attachments[0] as { contentType?: unknown; content?: unknown };
  assert.equal(att.contentType, 'application/vnd.microsoft.card.adaptive');
  const card = att.content as Card;
  assert.equal(card.type, 'AdaptiveCard');
  assert.match(String(card.version), /^1\.[0-9]$/);
  assert.ok(Array.isArray(card.body) && card.body.length > 0, 'a non-empty body');
  for (const el of card.body) {
    assert.ok(ELEMENT_TYPES.has(el.type as string), `known element type, got ${String(el.type)}`);
    if (el.type === 'TextBlock') assert.ok(typeof el.text === 'string' && el.text !== '', 'a TextBlock has text');
    if (el.type === 'FactSet') {
      assert.ok(Array.isArray(el.facts) && el.facts.length > 0, 'a FactSet has facts');
      for (const f of el.facts as { title: unknown; value: unknown }[]) {
        assert.equal(typeof f.title, 'string');
        assert.equal(typeof f.value, 'string');
      }
    }
  }
  assert.ok(Array.isArray(card.actions), 'actions is an array');
  for (const a of card.actions) {
    assert.equal(a.type, 'Action.OpenUrl');
    assert.ok(typeof a.title === 'string' && a.title !== '');
    assert.match(a.url, /^https?:\/\//);
  }
  if (opts.needAck !== false) assert.equal(card.actions[0]?.title, 'Acknowledge', 'the first action acknowledges');
  return card;
}

export interface TeamsReceiver {
  url: string;
  /** Valid cards received, in order. */
  cards: Card[];
  /** Bodies refused, with the reason. */
  rejected: { body: unknown; reason: string }[];
  /** Answer the next this many posts with 503 (Teams throttling or an outage). */
  failNext: number;
  close(): Promise<void>;
}

export async function startTeamsReceiver(): Promise<TeamsReceiver> {
  const rx: TeamsReceiver = { url: '', cards: [], rejected: [], failNext: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      if (rx.failNext > 0) {
        rx.failNext--;
        res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
        return;
      }
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
        rx.cards.push(assertTeamsCard(body));
        res.writeHead(202).end();
      } catch (err) {
        rx.rejected.push({ body, reason: err instanceof Error ? err.message : String(err) });
        res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rx.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/workflows/test/triggers/manual/paths/invoke?sig=test`;
  rx.close = () => new Promise((resolve) => server.close(() => resolve()));
  return rx;
}
