import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import type { Reminder } from '../../service/after-incident/reminder.ts';

const H = 3_600_000;

for (const backend of testBackends()) {
  describe(`action items API (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date('2026-03-02T08:00:00.000Z');
    const reminders: Reminder[] = [];
    let incidentId: string;
    let alice: string;
    before(async () => {
      t = await startTestFirebreak(backend, { create: { clock: () => now, notifyReminder: async (r) => void reminders.push(r) } });
      alice = await t.makeToken('responder', 'alice');
      incidentId = (
        await t.call('POST', '/api/v1/incidents', {
          type: 'brute_force_attempt',
          severity: 'high',
          title: 'Brute force',
          dedup_key: 'ip:203.0.113.9',
        })
      ).body.id;
    });
    after(() => t.close());

    test('create, read, filter, change, delete — each audited and on the timeline', async () => {
      const due = new Date(now.getTime() + 72 * H).toISOString();
      const a = await t.call(
        'POST',
        '/api/v1/action-items',
        { title: 'Add a rate limit to /login', owner: 'alice', due, incident_id: incidentId },
        alice,
      );
      assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.equal(a.body.status, 'open');
      assert.equal(a.body.source, 'incident');
      assert.equal(a.body.kind, 'task');
      assert.equal(a.body.due, due);
      assert.equal(a.body.link, `/api/v1/incidents/${incidentId}`);
      assert.equal(a.body.overdue, false);
      const b = await t.call(
        'POST',
        '/api/v1/action-items',
        {
          title: 'Lower the threshold',
          owner: 'bob',
          incident_id: incidentId,
          kind: 'runbook_update',
          runbook_file: 'runbooks/03-brute-force-attempt.yaml',
          due: new Date(now.getTime() + H).toISOString(),
        },
        alice,
      );
      assert.equal(b.status, 201, JSON.stringify(b.body));
      assert.equal(b.body.runbook_file, 'runbooks/03-brute-force-attempt.yaml');
      assert.equal((await t.call('GET', `/api/v1/action-items/${a.body.id}`)).body.title, 'Add a rate limit to /login');

      now = new Date(now.getTime() + 2 * H); // b is past due now
      const ids = async (qs: string) => (await t.call('GET', `/api/v1/action-items?${qs}`)).body.items.map((i: { id: string }) => i.id);
      assert.deepEqual(await ids('owner=alice'), [a.body.id]);
      assert.deepEqual(await ids('overdue=true'), [b.body.id]);
      assert.deepEqual(await ids('overdue=false'), [a.body.id]);
      assert.deepEqual(await ids('kind=runbook_update'), [b.body.id]);
      assert.deepEqual(await ids(`incident_id=${incidentId}&status=open`), [b.body.id, a.body.id]);

      const done = await t.call('PATCH', `/api/v1/action-items/${b.body.id}`, { status: 'done' }, alice);
      assert.equal(done.status, 200);
      assert.equal(done.body.closed_at, now.toISOString());
      assert.equal(done.body.overdue, false);
      assert.deepEqual(await ids('status=done'), [b.body.id]);
      assert.deepEqual(await ids('overdue=true'), []);
      const reopened = await t.call('PATCH', `/api/v1/action-items/${b.body.id}`, { status: 'open', owner: null }, alice);
      assert.equal(reopened.body.closed_at, null);
      assert.equal(reopened.body.owner, null);
      const toTask = await t.call('PATCH', `/api/v1/action-items/${b.body.id}`, { kind: 'task' }, alice);
      assert.equal(toTask.body.runbook_file, null, 'a task has no runbook file');

      assert.equal((await t.call('DELETE', `/api/v1/action-items/${b.body.id}`, undefined, alice)).status, 204);
      assert.equal((await t.call('GET', `/api/v1/action-items/${b.body.id}`)).status, 404);
      assert.equal((await t.call('DELETE', `/api/v1/action-items/${b.body.id}`, undefined, alice)).status, 404);

      const audit = await t.fb.deps.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target = $1 ORDER BY id`, [
        `action_item:${b.body.id}`,
      ]);
      assert.deepEqual(
        audit.rows.map((r) => r.action),
        ['action_item.create', 'action_item.update', 'action_item.update', 'action_item.update', 'action_item.delete'],
      );
      const tl = (await t.call('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items.filter(
        (e: { kind: string }) => e.kind === 'action_item',
      );
      assert.deepEqual(
        tl.map((e: { message: string }) => e.message.replace(/:.*/, '')),
        [
          `Action item #${a.body.id} added`,
          `Action item #${b.body.id} added`,
          `Action item #${b.body.id} is now done (was open)`,
          `Action item #${b.body.id} is now open (was done)`,
          `Action item #${b.body.id} deleted`,
        ],
      );
    });

    test('reminders before and at the due date, once each, re-armed when the due date moves', async () => {
      const start = now.getTime();
      const due = new Date(start + 48 * H);
      const a = (
        await t.call(
          'POST',
          '/api/v1/action-items',
          { title: 'Rotate the keys', owner: 'carol', due: due.toISOString(), incident_id: incidentId },
          alice,
        )
      ).body;
      const mine = () => reminders.filter((r) => r.action_item_id === a.id);
      const at = async (ms: number) => {
        now = new Date(start + ms);
        await t.fb.scheduler.tick();
        await t.fb.scheduler.tick();
        return mine().length;
      };
      assert.equal(await at(23 * H), 0);
      assert.equal(await at(24 * H), 1, 'remind_before (24h) ahead of the due date');
      assert.match(mine()[0]!.subject, /is due in 1d/);
      assert.equal(mine()[0]!.owner, 'carol');
      assert.equal(mine()[0]!.overdue, false);
      assert.equal(await at(47 * H), 1);
      assert.equal(await at(48 * H), 2, 'at the due date');
      assert.match(mine()[1]!.subject, /is due now/);
      assert.equal(await at(100 * H), 2, 'nothing more');
      const tl = (await t.call('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items.filter(
        (e: { kind: string; data: { action_item_id?: string } }) => e.kind === 'action_item_reminder' && e.data.action_item_id === a.id,
      );
      assert.deepEqual(
        tl.map((e: { data: { stage: string } }) => e.data.stage),
        ['before', 'due'],
      );
      assert.equal((await t.call('GET', `/api/v1/action-items/${a.id}`)).body.reminders, 2);

      // a new due date: both reminders again; closing the item stops them
      const later = new Date(start + 200 * H).toISOString();
      await t.call('PATCH', `/api/v1/action-items/${a.id}`, { due: later }, alice);
      assert.equal(await at(176 * H), 3);
      await t.call('PATCH', `/api/v1/action-items/${a.id}`, { status: 'dropped' }, alice);
      assert.equal(await at(300 * H), 3, 'dropped: no reminder at the due date');
    });

    test('bad input: clear errors, nothing written', async () => {
      const before = (await t.call('GET', '/api/v1/action-items?limit=500')).body.items.length;
      const cases: [unknown, RegExp][] = [
        [{ title: 'x' }, /incident_id or postmortem_id/],
        [{ title: '', incident_id: incidentId }, /title/],
        [{ title: 'x', incident_id: incidentId, kind: 'runbook_update' }, /runbook_file: required/],
        [{ title: 'x', incident_id: incidentId, runbook_file: 'runbooks/a.yaml' }, /only for kind runbook_update/],
        [{ title: 'x', incident_id: incidentId, kind: 'runbook_update', runbook_file: '../etc/passwd.yaml' }, /relative path/],
        [{ title: 'x', incident_id: incidentId, kind: 'runbook_update', runbook_file: '/abs/a.yaml' }, /relative path/],
        [{ title: 'x', incident_id: incidentId, due: 'tomorrow' }, /RFC 3339/],
        [{ title: 'x', incident_id: incidentId, status: 'open' }, /status/],
        [{ title: 'x', source: 'postmortem', incident_id: incidentId }, /postmortem_id/],
      ];
      for (const [body, re] of cases) {
        const r = await t.call('POST', '/api/v1/action-items', body, alice);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.body.error.message + JSON.stringify(r.body.error.details ?? []), re, JSON.stringify(body));
      }
      assert.equal((await t.call('POST', '/api/v1/action-items', { title: 'x', incident_id: '999999' }, alice)).status, 404);
      assert.equal((await t.call('POST', '/api/v1/action-items', { title: 'x', postmortem_id: '999999' }, alice)).status, 404);
      const viewer = await t.makeToken('viewer', 'v');
      assert.equal((await t.call('POST', '/api/v1/action-items', { title: 'x', incident_id: incidentId }, viewer)).status, 403);
      assert.equal((await t.call('GET', '/api/v1/action-items?overdue=maybe')).status, 400);
      assert.equal((await t.call('PATCH', '/api/v1/action-items/1', { status: 'closed' }, alice)).status, 400);
      assert.equal((await t.call('GET', '/api/v1/action-items?limit=500')).body.items.length, before);
    });
  });
}
