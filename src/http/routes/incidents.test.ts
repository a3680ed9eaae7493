import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

for (const backend of testBackends()) {
  describe(`incidents API (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date('2026-03-02T08:00:00.000Z');
    before(async () => {
      t = await startTestFirebreak(backend, { create: { clock: () => now } });
    });
    after(() => t.close());

    test('create → 201 triggered with the severity deadline', async () => {
      const r = await t.call('POST', '/api/v1/incidents', { type: 'high_error_rate', severity: 'critical', title: 'Errors spiking' });
      assert.equal(r.status, 201);
      assert.equal(r.body.status, 'triggered');
      assert.equal(r.body.severity, 'critical');
      assert.equal(typeof r.body.id, 'string');
      assert.equal(r.body.ack_deadline, '2026-03-02T08:15:00.000Z');
      assert.equal(r.body.created_at, '2026-03-02T08:00:00.000Z');
    });

    test('same type + dedup_key while open → 200 with the same incident and a timeline entry', async () => {
      const body = { type: 'brute_force_attempt', severity: 'high', title: 'Brute force from 203.0.113.5', dedup_key: 'ip:203.0.113.5' };
      const a = await t.call('POST', '/api/v1/incidents', body);
      assert.equal(a.status, 201);
      const b = await t.call('POST', '/api/v1/incidents', body);
      assert.equal(b.status, 200);
      assert.equal(b.body.id, a.body.id);
      assert.equal(b.body.detection_count, 2);
      const list = await t.call('GET', '/api/v1/incidents?type=brute_force_attempt');
      assert.equal(list.body.items.filter((i: { dedup_key: string }) => i.dedup_key === 'ip:203.0.113.5').length, 1);
      const tl = await t.call('GET', `/api/v1/incidents/${a.body.id}/timeline`);
      assert.deepEqual(
        tl.body.items.map((e: { kind: string }) => e.kind),
        ['opened', 'signal'],
      );
      // a different type with the same key is a different incident
      const c = await t.call('POST', '/api/v1/incidents', { ...body, type: 'ddos' });
      assert.equal(c.status, 201);
      assert.notEqual(c.body.id, a.body.id);
    });

    test('lifecycle: acknowledge, resolve, reopen, notes, and impossible transitions → 409', async () => {
      const a = await t.call('POST', '/api/v1/incidents', { type: 'performance_degradation', severity: 'medium', title: 'Slow API' });
      const id = a.body.id;
      now = new Date(now.getTime() + 60_000);
      const ack = await t.call('POST', `/api/v1/incidents/${id}/acknowledge`, { note: 'on it' });
      assert.equal(ack.status, 200);
      assert.equal(ack.body.status, 'acknowledged');
      assert.equal(ack.body.acknowledged_at, now.toISOString());
      const again = await t.call('POST', `/api/v1/incidents/${id}/acknowledge`);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
      const reopenOpen = await t.call('POST', `/api/v1/incidents/${id}/reopen`);
      assert.equal(reopenOpen.status, 200, 'acknowledged → triggered is allowed');
      assert.equal(reopenOpen.body.status, 'triggered');
      assert.equal((await t.call('POST', `/api/v1/incidents/${id}/reopen`)).status, 409, 'triggered cannot be re-opened');
      const note = await t.call('POST', `/api/v1/incidents/${id}/notes`, { text: 'rolled back deploy 1234' });
      assert.equal(note.status, 201);
      now = new Date(now.getTime() + 60_000);
      const res = await t.call('POST', `/api/v1/incidents/${id}/resolve`, { note: 'fixed' });
      assert.equal(res.body.status, 'resolved');
      assert.equal(res.body.resolved_at, now.toISOString());
      assert.equal((await t.call('POST', `/api/v1/incidents/${id}/resolve`)).status, 409);
      assert.equal((await t.call('POST', `/api/v1/incidents/${id}/acknowledge`)).status, 409);
      const tl = await t.call('GET', `/api/v1/incidents/${id}/timeline`);
      assert.deepEqual(
        tl.body.items.map((e: { kind: string }) => e.kind),
        ['opened', 'acknowledged', 'reopened', 'note', 'resolved'],
      );
      const re = await t.call('POST', `/api/v1/incidents/${id}/reopen`);
      assert.equal(re.body.status, 'triggered');
      assert.equal(re.body.reopen_count, 2);
      assert.equal(re.body.resolved_at, null);
    });

    test('a signal for a resolved incident within the re-open window re-opens it', async () => {
      const body = { type: 'ddos', severity: 'high', title: 'Flood', dedup_key: 'ip:198.51.100.7' };
      const a = await t.call('POST', '/api/v1/incidents', body);
      await t.call('POST', `/api/v1/incidents/${a.body.id}/resolve`);
      const b = await t.call('POST', '/api/v1/incidents', body);
      assert.equal(b.status, 200);
      assert.equal(b.body.id, a.body.id);
      assert.equal(b.body.status, 'triggered');
      assert.equal(b.body.outcome, 'reopened');
      now = new Date(now.getTime() + 2 * 3_600_000);
      await t.call('POST', `/api/v1/incidents/${a.body.id}/resolve`);
      now = new Date(now.getTime() + 3_600_001);
      const c = await t.call('POST', '/api/v1/incidents', body);
      assert.equal(c.status, 201, 'outside the window a new incident opens');
      assert.notEqual(c.body.id, a.body.id);
    });

    test('list filters and cursor pagination', async () => {
      for (let i = 0; i < 5; i++) await t.call('POST', '/api/v1/incidents', { type: 'paging_test', severity: 'low', title: `p${i}` });
      const p1 = await t.call('GET', '/api/v1/incidents?type=paging_test&limit=2');
      assert.equal(p1.body.items.length, 2);
      assert.ok(p1.body.next_cursor);
      const p2 = await t.call('GET', `/api/v1/incidents?type=paging_test&limit=2&cursor=${p1.body.next_cursor}`);
      const p3 = await t.call('GET', `/api/v1/incidents?type=paging_test&limit=2&cursor=${p2.body.next_cursor}`);
      assert.equal(p3.body.items.length, 1);
      assert.equal(p3.body.next_cursor, null);
      const titles = [...p1.body.items, ...p2.body.items, ...p3.body.items].map((i: { title: string }) => i.title);
      assert.deepEqual(titles, ['p4', 'p3', 'p2', 'p1', 'p0']);
      const sev = await t.call('GET', '/api/v1/incidents?severity=critical&status=triggered');
      assert.ok(sev.body.items.length >= 1);
      assert.ok(sev.body.items.every((i: { severity: string; status: string }) => i.severity === 'critical' && i.status === 'triggered'));
    });

    test('bad input: clear errors, nothing written', async () => {
      const before = await t.call('GET', '/api/v1/incidents?limit=500');
      const cases: [string, string, unknown, number, string, RegExp][] = [
        ['POST', '/api/v1/incidents', '{"type": "x", "severity": ', 400, 'invalid', /malformed JSON at line 1/],
        ['POST', '/api/v1/incidents', { type: 'x', severity: 'urgent', title: 't' }, 400, 'invalid', /severity/],
        ['POST', '/api/v1/incidents', { type: 'x', severity: 'high', title: 42 }, 400, 'invalid', /title/],
        ['POST', '/api/v1/incidents', { type: 'x', severity: 'high', title: 't', extra: 1 }, 400, 'invalid', /extra/],
        ['POST', '/api/v1/incidents', [1, 2], 400, 'invalid', /object/],
        ['GET', '/api/v1/incidents?status=open', undefined, 400, 'invalid', /status/],
        ['GET', '/api/v1/incidents?limit=0', undefined, 400, 'invalid', /limit/],
        ['GET', '/api/v1/incidents/999999', undefined, 404, 'not_found', /not found/],
        ['GET', '/api/v1/incidents/abc', undefined, 404, 'not_found', /not found/],
        ['POST', '/api/v1/incidents/999999/acknowledge', undefined, 404, 'not_found', /not found/],
        ['GET', '/api/v1/nothing-here', undefined, 404, 'not_found', /no route/],
        ['POST', '/api/v1/incidents/1/notes', { text: '' }, 400, 'invalid', /text/],
      ];
      for (const [method, url, body, status, code, msg] of cases) {
        const r = await t.call(method, url, body);
        assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code);
        assert.match(r.body.error.message + JSON.stringify(r.body.error.details ?? ''), msg);
      }
      const big = await t.call(
        'POST',
        '/api/v1/incidents',
        JSON.stringify({ type: 'x', severity: 'high', title: 'y'.repeat(11 * 1024 * 1024) }),
        undefined,
        { 'content-type': 'application/json' },
      );
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, 'payload_too_large');
      const after = await t.call('GET', '/api/v1/incidents?limit=500');
      assert.equal(after.body.items.length, before.body.items.length, 'no bad request wrote anything');
      assert.equal((await t.call('GET', '/healthz', undefined, null)).status, 200, 'still serving');
    });

    test('roles: 401 without or with a bad token, 403 with the wrong role', async () => {
      const viewer = await t.makeToken('viewer');
      const ingest = await t.makeToken('ingest');
      const responder = await t.makeToken('responder');
      const body = { type: 'role_test', severity: 'low', title: 'r' };
      assert.equal((await t.call('GET', '/api/v1/incidents', undefined, null)).status, 401);
      assert.equal((await t.call('GET', '/api/v1/incidents', undefined, 'fbk_not-a-real-token')).status, 401);
      assert.equal((await t.call('GET', '/api/v1/incidents', undefined, viewer)).status, 200);
      const denied = await t.call('POST', '/api/v1/incidents', body, viewer);
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, 'forbidden');
      assert.equal((await t.call('GET', '/api/v1/incidents', undefined, ingest)).status, 403);
      assert.equal((await t.call('POST', '/api/v1/incidents', body, responder)).status, 201);
      assert.equal((await t.call('POST', '/api/v1/tokens', { role: 'admin', name: 'x' }, responder)).status, 403);
    });

    test('an unacknowledged incident past its deadline gets one sla_breach entry', async () => {
      const a = await t.call('POST', '/api/v1/incidents', { type: 'sla_test', severity: 'critical', title: 's' });
      const b = await t.call('POST', '/api/v1/incidents', { type: 'sla_test2', severity: 'critical', title: 's2' });
      await t.call('POST', `/api/v1/incidents/${b.body.id}/acknowledge`);
      now = new Date(now.getTime() + 15 * 60_000 - 1);
      await t.fb.scheduler.tick();
      let inc = await t.call('GET', `/api/v1/incidents/${a.body.id}`);
      assert.equal(inc.body.sla_breached, false, 'not before the deadline');
      now = new Date(now.getTime() + 1);
      await t.fb.scheduler.tick();
      await t.fb.scheduler.tick();
      inc = await t.call('GET', `/api/v1/incidents/${a.body.id}`);
      assert.equal(inc.body.sla_breached, true);
      const tl = await t.call('GET', `/api/v1/incidents/${a.body.id}/timeline`);
      assert.equal(tl.body.items.filter((e: { kind: string }) => e.kind === 'sla_breach').length, 1);
      const acked = await t.call('GET', `/api/v1/incidents/${b.body.id}`);
      assert.equal(acked.body.sla_breached, false, 'an acknowledged incident never breaches');
    });
  });
}
