import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createLogChannel } from './log-channel.ts';
import type { Notification } from './channel.ts';

const msg: Notification = {
  kind: 'incident.acknowledged',
  incident: {
    id: 'inc_3',
    type: 'ddos',
    severity: 'medium',
    status: 'acknowledged',
    title: 'Flood from 203.0.113.9',
    created_at: '2026-03-02T08:00:00.000Z',
    ack_deadline: '2026-03-02T12:00:00.000Z',
  },
  level: 2,
  ackUrl: 'https://firebreak.example/ack/SECRET-TOKEN',
  recipient: { id: 'bob', email: 'bob@example.com' },
};

test('log channel writes one structured line through a real pino logger, without the ack link', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info', base: null, timestamp: false }, { write: (s: string) => void lines.push(s) });
  const result = await createLogChannel({ name: 'audit' }, logger).send(msg);
  assert.deepEqual(result, { ok: true, retryable: false });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes('SECRET-TOKEN'), 'the ack link is a credential');
  assert.deepEqual(JSON.parse(lines[0]!), {
    level: 30,
    channel: 'audit',
    event: 'incident.acknowledged',
    incident_id: 'inc_3',
    incident_type: 'ddos',
    severity: 'medium',
    status: 'acknowledged',
    escalation_level: 2,
    recipient: 'bob',
    has_ack_link: true,
    msg: '[MEDIUM] Incident acknowledged: Flood from 203.0.113.9 (ddos, inc_3).',
  });
});

test('a throwing logger becomes a final failure', async () => {
  const r = await createLogChannel(
    { name: 'audit' },
    {
      info: () => {
        throw new Error('disk full');
      },
    },
  ).send(msg);
  assert.deepEqual(r, { ok: false, error: 'audit: disk full', retryable: false });
});
