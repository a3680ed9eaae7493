import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

// Europe/Berlin: clocks go forward on 2026-03-29 at 02:00 (CET → CEST) and back
// on 2026-10-25 at 03:00. A daily 09:00 handoff stays at 09:00 local, so the
// shifts around the changes last 23 h and 25 h of real time.
for (const backend of testBackends()) {
  describe(`schedules API (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date('2026-03-29T01:30:00Z');
    before(async () => {
      t = await startTestFirebreak(backend, {
        create: { clock: () => now },
        configYaml: {
          people: [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }],
          schedules: [
            {
              name: 'primary',
              time_zone: 'Europe/Berlin',
              rotation: { every: '1d', handoff: '09:00', start: '2026-03-27', members: ['alice', 'bob'] },
            },
          ],
        },
      });
    });
    after(() => t.close());

    test('on call across DST, with the real-time length of each shift', async () => {
      const cases: [string, string | null, string | null, string | null][] = [
        ['2026-03-29T01:30:00Z', 'bob', '2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z'], // 23 h: spring forward
        ['2026-03-29T07:00:00Z', 'alice', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
        ['2026-03-29T08:59:59+01:00', 'alice', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
        ['2026-10-25T01:30:00Z', 'bob', '2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z'], // 25 h: fall back
        ['2026-03-20T12:00:00Z', null, null, '2026-03-27T08:00:00.000Z'], // before the first handoff: a gap
      ];
      for (const [at, person, start, end] of cases) {
        const r = await t.call('GET', `/api/v1/schedules/primary/oncall?at=${encodeURIComponent(at)}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual([r.body.person, r.body.shift_start, r.body.shift_end], [person, start, end], at);
        assert.equal(r.body.source, person === null ? 'gap' : 'rotation');
      }
    });

    test('list: now and next', async () => {
      const r = await t.call('GET', '/api/v1/schedules');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.items[0].now, { person: 'bob', until: '2026-03-29T07:00:00.000Z', source: 'rotation' });
      assert.deepEqual(r.body.items[0].next, { person: 'alice', from: '2026-03-29T07:00:00.000Z' });
      assert.equal(r.body.items[0].time_zone, 'Europe/Berlin');
    });

    test('overrides: validated, applied, listed, removed, audited; roles', async () => {
      const viewer = await t.makeToken('viewer');
      const responder = await t.makeToken('responder');
      const body = { person: 'carol', start: '2026-03-29T00:00:00Z', end: '2026-03-29T03:00:00Z' };
      assert.equal((await t.call('POST', '/api/v1/schedules/primary/overrides', body, viewer)).status, 403);
      const bad = await t.call(
        'POST',
        '/api/v1/schedules/primary/overrides',
        { person: 'mallory', start: body.end, end: body.start },
        responder,
      );
      assert.equal(bad.status, 400);
      assert.deepEqual(
        bad.body.error.details.map((d: { path: string }) => d.path),
        ['person', 'end'],
      );
      assert.equal((await t.call('POST', '/api/v1/schedules/primary/overrides', { ...body, start: 'yesterday' }, responder)).status, 400);
      assert.equal((await t.call('POST', '/api/v1/schedules/nope/overrides', body, responder)).status, 404);
      const made = await t.call('POST', '/api/v1/schedules/primary/overrides', body, responder);
      assert.equal(made.status, 201);
      assert.match(made.body.id, /^ovr_/);
      const at = await t.call('GET', '/api/v1/schedules/primary/oncall?at=2026-03-29T01:30:00Z', undefined, viewer);
      assert.deepEqual(
        [at.body.person, at.body.source, at.body.shift_start, at.body.shift_end],
        ['carol', 'override', '2026-03-29T00:00:00.000Z', '2026-03-29T03:00:00.000Z'],
      );
      assert.equal((await t.call('GET', '/api/v1/schedules')).body.items[0].now.person, 'carol');
      const list = await t.call('GET', '/api/v1/schedules/primary/overrides');
      assert.deepEqual(
        list.body.items.map((o: { id: string }) => o.id),
        [made.body.id],
      );
      now = new Date('2026-03-29T04:00:00Z');
      assert.equal((await t.call('GET', '/api/v1/schedules/primary/overrides')).body.items.length, 0, 'ended overrides are hidden');
      assert.equal((await t.call('GET', '/api/v1/schedules/primary/overrides?all=true')).body.items.length, 1);
      assert.equal((await t.call('DELETE', `/api/v1/schedules/primary/overrides/${made.body.id}`, undefined, responder)).status, 200);
      assert.equal((await t.call('DELETE', `/api/v1/schedules/primary/overrides/${made.body.id}`, undefined, responder)).status, 404);
      assert.equal((await t.call('GET', '/api/v1/schedules/primary/oncall?at=2026-03-29T01:30:00Z')).body.person, 'bob');
      const audit = await t.fb.deps.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'schedule.%' ORDER BY id`);
      assert.deepEqual(
        audit.rows.map((r) => r.action),
        ['schedule.override.add', 'schedule.override.remove'],
      );
      now = new Date('2026-03-29T01:30:00Z');
    });

    test('bad queries and unknown schedules', async () => {
      assert.equal((await t.call('GET', '/api/v1/schedules/primary/oncall?at=tomorrow')).status, 400);
      assert.equal((await t.call('GET', '/api/v1/schedules/nope/oncall')).status, 404);
      assert.equal((await t.call('GET', '/api/v1/schedules', undefined, null)).status, 401);
    });

    test('escalation policies: the built-in one when none is configured', async () => {
      const r = await t.call('GET', '/api/v1/escalation-policies');
      assert.equal(r.status, 200);
      const p = r.body.items[0];
      assert.equal(p.source, 'built-in');
      assert.deepEqual(
        p.levels.map((l: { name: string; notify: string[] }) => [l.name, l.notify]),
        [
          ['automated', ['channel:log']],
          ['on-call', ['schedule:primary']],
          ['security-team', ['person:alice', 'person:bob', 'person:carol']],
          ['external', ['channel:log']],
        ],
      );
    });
  });
}
