import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStatus, ackDeadline, withinReopenWindow, responseTimes, INCIDENT_STATUSES, type IncidentVerb } from './incident.ts';
import { DEFAULT_ACK_DEADLINES_MS } from './severity.ts';

test('transition table', () => {
  const table: [string, IncidentVerb, string | null][] = [
    ['triggered', 'acknowledge', 'acknowledged'],
    ['triggered', 'resolve', 'resolved'],
    ['triggered', 'reopen', null],
    ['acknowledged', 'acknowledge', null],
    ['acknowledged', 'resolve', 'resolved'],
    ['acknowledged', 'reopen', 'triggered'],
    ['resolved', 'acknowledge', null],
    ['resolved', 'resolve', null],
    ['resolved', 'reopen', 'triggered'],
  ];
  assert.equal(table.length, INCIDENT_STATUSES.length * 3);
  for (const [from, verb, to] of table) assert.equal(nextStatus(from as never, verb), to, `${from} --${verb}-->`);
});

test('deadlines follow the runbook: 15 min, 1 h, 4 h, 24 h', () => {
  const t0 = Date.UTC(2026, 0, 1);
  assert.equal(ackDeadline('critical', t0, DEFAULT_ACK_DEADLINES_MS) - t0, 15 * 60_000);
  assert.equal(ackDeadline('high', t0, DEFAULT_ACK_DEADLINES_MS) - t0, 3_600_000);
  assert.equal(ackDeadline('medium', t0, DEFAULT_ACK_DEADLINES_MS) - t0, 4 * 3_600_000);
  assert.equal(ackDeadline('low', t0, DEFAULT_ACK_DEADLINES_MS) - t0, 24 * 3_600_000);
});

test('reopen window and response times', () => {
  assert.equal(withinReopenWindow(1000, 1000 + 3_600_000, 3_600_000), true);
  assert.equal(withinReopenWindow(1000, 1001 + 3_600_000, 3_600_000), false);
  assert.deepEqual(responseTimes({ detectedAtMs: 0, acknowledgedAtMs: 60_000, resolvedAtMs: null }), { ttaMs: 60_000, ttrMs: null });
});
