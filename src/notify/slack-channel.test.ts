import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackChannel, slackBody } from './slack-channel.ts';
import type { Notification } from './channel.ts';

const msg: Notification = {
  kind: 'incident.triggered',
  incident: {
    id: 'inc_7',
    type: 'account_compromise',
    severity: 'critical',
    status: 'triggered',
    title: 'Account <u1> logged in from 3 IPs & more',
    description: 'Logins from 203.0.113.5, 198.51.100.7 and <script>',
    created_at: '2026-03-02T08:00:00.000Z',
    ack_deadline: '2026-03-02T08:15:00.000Z',
    url: 'https://firebreak.example/incidents/inc_7',
  },
  level: 1,
  ackUrl: 'https://firebreak.example/ack/tok.sig',
};

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  elements?: { type: string; text: { text: string }; url: string }[];
}

test('Slack incoming webhook receives text plus header, fields and an Acknowledge button', async (t) => {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      bodies.push(JSON.parse(raw));
      // What Slack answers on success.
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`;

  const result = await createSlackChannel({ name: 'ops-slack', url }).send(msg);
  assert.deepEqual(result, { ok: true, status: 200, retryable: false });
  assert.equal(bodies.length, 1);
  const body = bodies[0] as { text: string; blocks: Block[] };

  // Fallback text: severity and title, mrkdwn-escaped.
  assert.match(body.text, /^\[CRITICAL\] Incident triggered: Account &lt;u1&gt; logged in from 3 IPs &amp; more/);
  assert.deepEqual(
    body.blocks.map((b) => b.type),
    ['header', 'section', 'section', 'actions'],
  );
  const [header, fields, about, actions] = body.blocks as [Block, Block, Block, Block];
  // plain_text is shown literally by Slack: not escaped.
  assert.deepEqual(header.text, { type: 'plain_text', text: '[CRITICAL] Account <u1> logged in from 3 IPs & more', emoji: false });
  assert.deepEqual(
    fields.fields!.map((f) => f.text),
    ['*Type*\naccount_compromise', '*Status*\ntriggered', '*Ack deadline*\n2026-03-02T08:15:00.000Z', '*Escalation level*\n1'],
  );
  assert.ok(fields.fields!.every((f) => f.type === 'mrkdwn'));
  assert.equal(about.text!.text, 'Logins from 203.0.113.5, 198.51.100.7 and &lt;script&gt;');
  assert.equal(actions.elements![0]!.type, 'button');
  assert.equal(actions.elements![0]!.text.text, 'Acknowledge');
  assert.equal(actions.elements![0]!.url, msg.ackUrl);
  assert.equal(actions.elements![1]!.url, msg.incident.url);
});

test('no ack link and no incident url: no actions block; long titles fit the header limit', () => {
  const body = slackBody({
    ...msg,
    ackUrl: undefined,
    incident: { ...msg.incident, url: undefined, description: undefined, title: 'x'.repeat(500) },
  });
  assert.deepEqual(
    body.blocks.map((b) => b.type),
    ['header', 'section'],
  );
  const header = body.blocks[0] as unknown as Block;
  assert.equal(header.text!.text.length, 150);
  // A non-http ack link is never turned into a button.
  assert.deepEqual(
    slackBody({ ...msg, ackUrl: 'javascript:alert(1)', incident: { ...msg.incident, url: undefined } }).blocks.map((b) => b.type),
    ['header', 'section', 'section'],
  );
});

test("Slack error answers are final and keep Slack's reason, without the URL", async (t) => {
  const server = createServer((_req, res) => res.writeHead(404).end('no_service'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/SECRET`;
  const r = await createSlackChannel({ name: 'ops-slack', url }).send(msg);
  assert.deepEqual(r, { ok: false, status: 404, error: 'ops-slack: HTTP 404 no_service', retryable: false });
});
