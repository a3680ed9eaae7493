import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTeamsChannel, escapeCardMarkdown, teamsBody } from './teams-channel.ts';
import type { Notification } from './channel.ts';
import { assertTeamsCard } from '../../test/support/teams-receiver.ts';

const msg: Notification = {
  kind: 'incident.escalated',
  incident: {
    id: '7',
    type: 'brute_force_attempt',
    severity: 'high',
    status: 'triggered',
    title: 'Brute force from [click me](https://evil.example) *now*',
    description: 'Failed logins for <admin> from 203.0.113.5',
    created_at: '2026-03-02T08:00:00.000Z',
    ack_deadline: '2026-03-02T09:00:00.000Z',
    url: 'https://firebreak.example/incidents/7',
  },
  level: 2,
  ackUrl: 'https://firebreak.example/ack/tok.sig',
};

test('a Workflows webhook receives a valid Adaptive Card: incident, severity, deadline, Acknowledge button', async (t) => {
  const received: { body: unknown; contentType: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({ body: JSON.parse(raw), contentType: req.headers['content-type'] });
      // What a Teams workflow answers.
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workflows/abc/triggers/manual/paths/invoke?sig=SECRET`;

  const result = await createTeamsChannel({ name: 'ops-teams', url }).send(msg);
  assert.deepEqual(result, { ok: true, status: 202, retryable: false });
  assert.equal(received.length, 1);
  assert.equal(received[0]!.contentType, 'application/json');
  const card = assertTeamsCard(received[0]!.body);
  assert.deepEqual(
    card.actions.map((a) => [a.type, a.title, a.url]),
    [
      ['Action.OpenUrl', 'Acknowledge', msg.ackUrl],
      ['Action.OpenUrl', 'Open incident', msg.incident.url],
    ],
  );
  const [title, summary, facts, about] = card.body as [any, any, any, any];
  assert.equal(title.type, 'TextBlock');
  // Markdown in the title is escaped: no second link next to the Acknowledge button.
  assert.equal(title.text, '\\[HIGH\\] Brute force from \\[click me\\](https://evil.example) \\*now\\*');
  assert.equal(title.color, 'attention');
  assert.match(summary.text, /Incident escalated to level 2/);
  assert.deepEqual(facts.facts, [
    { title: 'Severity', value: 'HIGH' },
    { title: 'Type', value: 'brute\\_force\\_attempt' },
    { title: 'Status', value: 'triggered' },
    { title: 'Ack deadline', value: '2026-03-02T09:00:00.000Z' },
    { title: 'Incident', value: '7' },
    { title: 'Escalation level', value: '2' },
  ]);
  assert.equal(about.text, 'Failed logins for \\<admin\\> from 203.0.113.5');
});

test('no ack link: no Acknowledge button; a non-http link never becomes one; long text is clipped', () => {
  const plain = teamsBody({ ...msg, ackUrl: undefined, incident: { ...msg.incident, url: undefined, description: undefined } });
  const card = assertTeamsCard(plain, { needAck: false });
  assert.deepEqual(card.actions, []);
  assert.equal(card.body.length, 3);
  const js = assertTeamsCard(teamsBody({ ...msg, ackUrl: 'javascript:alert(1)' }), { needAck: false });
  assert.deepEqual(
    js.actions.map((a) => a.title),
    ['Open incident'],
  );
  const long = assertTeamsCard(teamsBody({ ...msg, incident: { ...msg.incident, title: 'x'.repeat(5000) } }));
  assert.ok((long.body[0] as { text: string }).text.length < 320, 'clipped to 300 characters before escaping');
  assert.equal(escapeCardMarkdown('a_b\\c'), 'a\\_b\\\\c');
});

test('Teams error answers: 4xx final, 429/5xx retryable with Retry-After; the signed URL never shows', async (t) => {
  let answer = { status: 400, headers: {} as Record<string, string>, body: 'Bad Request' };
  const server = createServer((_req, res) => res.writeHead(answer.status, answer.headers).end(answer.body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workflows/x?sig=TOPSECRET`;
  const ch = createTeamsChannel({ name: 'ops-teams', url });
  const bad = await ch.send(msg);
  assert.deepEqual(bad, { ok: false, status: 400, error: 'ops-teams: HTTP 400', retryable: false });
  answer = { status: 429, headers: { 'retry-after': '7' }, body: '' };
  const busy = await ch.send(msg);
  assert.equal(busy.retryable, true);
  assert.equal(busy.retryAfterMs, 7000);
  await new Promise<void>((r) => server.close(() => r()));
  const down = await ch.send(msg);
  assert.equal(down.ok, false);
  assert.equal(down.retryable, true);
  for (const r of [bad, busy, down]) assert.doesNotMatch(r.error ?? '', /TOPSECRET|workflows/);
});
