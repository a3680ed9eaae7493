import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { openIncident } from '../../service/incidents/open-incident.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import { parsePostmortem } from '../../domain/postmortem-markdown.ts';
import type { Reminder } from '../../service/after-incident/reminder.ts';

const H = 3_600_000;
const M = 60_000;

for (const backend of testBackends()) {
  describe(`post-mortems API (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date('2026-03-02T08:00:00.000Z');
    const reminders: Reminder[] = [];
    let alice: string;
    let bob: string;
    let viewer: string;
    const advance = (ms: number) => (now = new Date(now.getTime() + ms));
    /** Lets the resolve subscriber arm its timer, then fires what is due. */
    const settle = async () => {
      await t.fb.afterIncident.settled();
      await t.fb.scheduler.tick();
    };
    const pmOf = async (incidentId: string) => {
      const r = await t.call('GET', `/api/v1/postmortems?incident_id=${incidentId}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.items as { id: string; [k: string]: unknown }[];
    };

    before(async () => {
      t = await startTestFirebreak(backend, { create: { clock: () => now, notifyReminder: async (r) => void reminders.push(r) } });
      alice = await t.makeToken('responder', 'alice');
      bob = await t.makeToken('responder', 'bob');
      viewer = await t.makeToken('viewer', 'vera');
    });
    after(() => t.close());

    let incidentId: string;
    let pmId: string;

    test('resolving drafts a post-mortem that equals the incident records', async () => {
      const rule = { id: 'rule:brute_force_attempt', name: 'rule:brute_force_attempt', role: 'system' as const };
      const input = { type: 'brute_force_attempt', severity: 'high', title: 'Brute force from 203.0.113.5', dedup_key: 'ip:203.0.113.5' };
      const opened = await openIncident(t.fb.deps, rule, input, {
        evidence: { rule: 'brute_force_attempt', key: 'ip:203.0.113.5', value: 5 },
      });
      incidentId = opened.incident.id;
      advance(2 * M);
      await openIncident(t.fb.deps, rule, input, { evidence: { rule: 'brute_force_attempt', key: 'ip:203.0.113.5', value: 7 } });
      // What other parts of Firebreak write: an automated action, a manual step, an escalation, a notification.
      await appendTimeline(t.fb.deps.db, {
        incidentId,
        at: now,
        kind: 'step',
        actor: 'runbook:brute_force_attempt',
        message: 'Step "Ban the address" (ban-ip) (block_ip) succeeded',
        data: { step: 'ban-ip', action: 'block_ip', status: 'succeeded' },
      });
      advance(M);
      await appendTimeline(t.fb.deps.db, {
        incidentId,
        at: now,
        kind: 'step',
        actor: 'alice',
        message: 'Step "Check the logs" done',
        data: { step: 'check-logs', status: 'done' },
      });
      await appendTimeline(t.fb.deps.db, {
        incidentId,
        at: now,
        kind: 'action',
        actor: 'runbook:brute_force_attempt',
        message: 'notify security failed',
        data: { action: 'notify', outcome: 'failed', error: 'timeout' },
      });
      await appendTimeline(t.fb.deps.db, {
        incidentId,
        at: now,
        kind: 'escalated',
        actor: 'system',
        message: 'Escalated to level 2 (on-call)',
        data: { level: 2 },
      });
      await appendTimeline(t.fb.deps.db, {
        incidentId,
        at: now,
        kind: 'notified',
        actor: 'system',
        message: 'schedule:primary: notified',
        data: { level: 2 },
      });
      advance(67 * M); // 70 minutes after opening: the 1 h deadline has passed
      await t.fb.scheduler.tick();
      // The runbook's own steps (started when the incident opened) finish now, not racing the draft below.
      await t.fb.runbooks.idle();
      advance(5 * M);
      assert.equal((await t.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, {}, alice)).status, 200);
      advance(25 * M);
      assert.equal((await t.call('POST', `/api/v1/incidents/${incidentId}/notes`, { text: 'blocked at the edge' }, bob)).status, 201);
      advance(20 * M);
      await t.fb.runbooks.idle();
      const resolved = await t.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { note: 'fixed' }, bob);
      assert.equal(resolved.status, 200);
      await settle();

      const items = await pmOf(incidentId);
      assert.equal(items.length, 1);
      pmId = items[0]!.id;
      const pm = (await t.call('GET', `/api/v1/postmortems/${pmId}`)).body;
      const tl = (await t.call('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items as {
        id: string;
        kind: string;
        actor: string;
        data: any;
        at: string;
        message: string;
      }[];
      const last = tl[tl.length - 1]!;
      assert.equal(last.kind, 'postmortem', 'the draft itself is on the timeline');
      assert.match(last.message, new RegExp(`Post-mortem #${pmId} drafted`));
      const atDraft = tl.slice(0, -1);
      assert.deepEqual(pm.timeline, atDraft, 'the full timeline as it was at draft time, entry for entry');
      const ids = (kinds: string[]) => atDraft.filter((e) => kinds.includes(e.kind)).map((e) => e.id);
      assert.deepEqual(
        pm.detections.map((d: { timeline_id: string }) => d.timeline_id),
        ids(['opened', 'signal']),
      );
      assert.deepEqual(
        pm.detections.map((d: { evidence: { value: number } }) => d.evidence.value),
        [5, 7],
      );
      // Every action/step entry (the runbook engine adds its own), in timeline order, with its outcome.
      assert.deepEqual(
        pm.actions.map((a: { timeline_id: string }) => a.timeline_id),
        ids(['action', 'step']),
      );
      for (const a of pm.actions) {
        const e = atDraft.find((x) => x.id === a.timeline_id)!;
        assert.equal(a.outcome, e.data?.outcome ?? e.data?.status ?? null, `outcome of ${e.id}`);
      }
      const ours = pm.actions.filter((a: { message: string }) => /Ban the address|Check the logs|notify security/.test(a.message));
      assert.deepEqual(
        ours.map((a: any) => [a.kind, a.action, a.outcome, a.error, a.automated]),
        [
          ['step', 'block_ip', 'succeeded', null, true],
          ['step', 'check-logs', 'done', null, false],
          ['action', 'notify', 'failed', 'timeout', true],
        ],
      );
      assert.deepEqual(
        pm.escalations.map((e: { timeline_id: string }) => e.timeline_id),
        ids(['escalated', 'notified', 'acknowledged']),
      );
      assert.deepEqual(
        pm.escalations.map((e: { level: number | null }) => e.level),
        [2, 2, null],
      );
      assert.deepEqual(pm.responders, ['alice', 'bob']);
      assert.deepEqual(
        pm.sla_breaches.map((b: { timeline_id: string }) => b.timeline_id),
        ids(['sla_breach']),
      );
      const inc = (await t.call('GET', `/api/v1/incidents/${incidentId}`)).body;
      assert.equal(pm.tta_s, 75 * 60, 'detected 08:00, acknowledged 09:15');
      assert.equal(pm.ttr_s, 120 * 60, 'resolved 10:00');
      assert.equal(pm.tta_s, (Date.parse(inc.acknowledged_at) - Date.parse(inc.detected_at)) / 1000);
      assert.equal(pm.ttr_s, (Date.parse(inc.resolved_at) - Date.parse(inc.detected_at)) / 1000);
      assert.deepEqual(pm.impact, { start: inc.detected_at, end: inc.resolved_at, duration_s: 7200 });
      assert.equal(pm.status, 'draft');
      assert.equal(pm.due_at, new Date(Date.parse(inc.resolved_at) + 48 * H).toISOString());
      assert.equal(pm.overdue, false);
      for (const f of ['root_cause', 'went_well', 'went_badly', 'lessons', 'body']) assert.equal(pm[f], '', `${f} starts empty`);
      assert.match(pm.summary, /acknowledged by alice after 1h15m/);
      assert.match(pm.summary, /1 SLA breach/);

      const list = await t.call('GET', '/api/v1/postmortems');
      assert.ok(
        list.body.items.some(
          (p: { id: string; timeline?: unknown; timeline_count: number }) =>
            p.id === pmId && p.timeline === undefined && p.timeline_count === atDraft.length,
        ),
      );
      // a second tick does not draft twice
      await t.fb.scheduler.tick();
      assert.equal((await pmOf(incidentId)).length, 1);
    });

    test('edit through PUT, optimistic versions, roles, and the Markdown export round trip', async () => {
      const pm = (await t.call('GET', `/api/v1/postmortems/${pmId}`)).body;
      const edit = {
        root_cause: 'The login endpoint had no rate limit.\n\n```\n## not a heading inside a fence\n```',
        went_well: '- The ban landed within a second.',
        went_badly: '- Paging took 70 minutes.\n- Nobody owned the runbook.',
        lessons: 'Rate-limit logins.\n\n### Follow-up\nReview the runbook.',
        body: 'Meeting notes: attendees alice, bob.',
        status: 'in_review',
        version: pm.version,
      };
      assert.equal((await t.call('PUT', `/api/v1/postmortems/${pmId}`, { root_cause: 'x' }, viewer)).status, 403, 'viewers read only');
      assert.equal((await t.call('GET', `/api/v1/postmortems/${pmId}`, undefined, viewer)).status, 200);
      const put = await t.call('PUT', `/api/v1/postmortems/${pmId}`, edit, alice);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      for (const k of ['root_cause', 'went_well', 'went_badly', 'lessons', 'body', 'status'] as const) assert.equal(put.body[k], edit[k]);
      assert.equal(put.body.version, pm.version + 1);
      assert.equal(put.body.updated_by, 'alice');
      const stale = await t.call('PUT', `/api/v1/postmortems/${pmId}`, { lessons: 'lost update', version: pm.version }, bob);
      assert.equal(stale.status, 409);
      assert.match(stale.body.error.message, /changed by someone else/);
      assert.equal((await t.call('PUT', `/api/v1/postmortems/${pmId}`, { status: 'final' })).status, 400);
      assert.equal((await t.call('PUT', `/api/v1/postmortems/${pmId}`, { bogus: 1 })).status, 400);
      assert.equal((await t.call('PUT', '/api/v1/postmortems/999999', { lessons: 'x' })).status, 404);
      const tl = (await t.call('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items;
      assert.match(tl[tl.length - 1].message, /is now in_review \(was draft\)/);

      const item = await t.call(
        'POST',
        '/api/v1/action-items',
        {
          title: 'Rate-limit /login',
          owner: 'alice',
          postmortem_id: pmId,
          kind: 'runbook_update',
          runbook_file: 'runbooks/03-brute-force-attempt.yaml',
        },
        alice,
      );
      assert.equal(item.status, 201, JSON.stringify(item.body));
      const md = await t.call('GET', `/api/v1/postmortems/${pmId}/markdown`);
      assert.equal(md.status, 200);
      assert.match(String(md.headers['content-type']), /text\/markdown/);
      const text = md.body as string;
      assert.match(text, /^# Post-mortem: Brute force from 203\.0\.113\.5$/m);
      assert.match(text, /^## Timeline \(generated\)$/m);
      assert.match(text, /^\| Time to acknowledge \| 1h15m \(alice\) \|$/m);
      assert.match(
        text,
        new RegExp(`^- \\[ \\] #${item.body.id} Rate-limit /login \\(update \`runbooks/03-brute-force-attempt\\.yaml\`, owner alice`, 'm'),
      );
      assert.deepEqual(parsePostmortem(text), {
        title: pm.title,
        summary: pm.summary,
        root_cause: edit.root_cause,
        went_well: edit.went_well,
        went_badly: edit.went_badly,
        lessons: edit.lessons,
        body: edit.body,
      });
      const audit = await t.fb.deps.db.query<{ action: string; target: string }>(
        `SELECT action, target FROM audit_log WHERE target = $1 ORDER BY id`,
        [`postmortem:${pmId}`],
      );
      assert.deepEqual(
        audit.rows.map((r) => r.action),
        ['postmortem.draft', 'postmortem.update'],
      );
    });

    test('a later resolution re-drafts the facts and keeps what people wrote', async () => {
      assert.equal((await t.call('PUT', `/api/v1/postmortems/${pmId}`, { status: 'published' }, alice)).body.status, 'published');
      advance(10 * M);
      await t.call('POST', `/api/v1/incidents/${incidentId}/reopen`, { note: 'it is back' }, bob);
      advance(10 * M);
      await t.call('POST', `/api/v1/incidents/${incidentId}/resolve`, {}, bob);
      await settle();
      const pm = (await t.call('GET', `/api/v1/postmortems/${pmId}`)).body;
      const tl = (await t.call('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items as { id: string; kind: string }[];
      assert.deepEqual(
        pm.timeline.map((e: { id: string }) => e.id),
        tl.slice(0, -1).map((e) => e.id),
        'refreshed up to the new resolution',
      );
      assert.deepEqual(
        pm.timeline.slice(-2).map((e: { kind: string }) => e.kind),
        ['reopened', 'resolved'],
      );
      assert.equal(pm.status, 'draft', 'a published post-mortem goes back to draft');
      assert.equal(pm.published_at, null);
      assert.match(pm.root_cause, /no rate limit/);
      assert.equal(pm.resolved_at, now.toISOString());
      assert.equal(pm.due_at, new Date(now.getTime() + 48 * H).toISOString());
      assert.equal((await pmOf(incidentId)).length, 1, 'still one post-mortem per incident');
    });

    test('overdue post-mortems are flagged and reminded exactly once per interval', async () => {
      const r = await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'medium', title: 'Flood' });
      const id = r.body.id as string;
      await t.call('POST', `/api/v1/incidents/${id}/resolve`);
      const resolvedAt = now.getTime();
      await settle();
      const [pm] = await pmOf(id);
      const remindersOf = async () => {
        const tl = (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).body.items as { kind: string }[];
        return {
          timeline: tl.filter((e) => e.kind === 'postmortem_reminder').length,
          notified: reminders.filter((x) => x.postmortem_id === pm!.id).length,
        };
      };
      const at = async (ms: number) => {
        now = new Date(resolvedAt + ms);
        await t.fb.scheduler.tick();
        await t.fb.scheduler.tick();
        return remindersOf();
      };
      assert.deepEqual(await at(47 * H), { timeline: 0, notified: 0 });
      assert.equal((await t.call('GET', `/api/v1/postmortems/${pm!.id}`)).body.overdue, false);
      assert.deepEqual(await at(48 * H), { timeline: 1, notified: 1 });
      assert.equal((await t.call('GET', `/api/v1/postmortems/${pm!.id}`)).body.overdue, true);
      const overdue = await t.call('GET', '/api/v1/postmortems?overdue=true');
      assert.ok(overdue.body.items.some((p: { id: string }) => p.id === pm!.id));
      assert.ok(overdue.body.items.every((p: { overdue: boolean }) => p.overdue));
      assert.deepEqual(await at(60 * H), { timeline: 1, notified: 1 }, 'same interval: no second reminder');
      assert.deepEqual(await at(72 * H), { timeline: 2, notified: 2 });
      assert.deepEqual(
        await at(48 * H + 5 * 24 * H + H),
        { timeline: 3, notified: 3 },
        'four intervals skipped while down: one reminder, not four',
      );
      assert.deepEqual(await at(48 * H + 5 * 24 * H + 2 * H), { timeline: 3, notified: 3 });
      const sent = reminders.filter((x) => x.postmortem_id === pm!.id);
      assert.equal(sent[0]!.kind, 'postmortem_reminder');
      assert.equal(sent[0]!.incident_id, id);
      assert.equal(sent[0]!.overdue, true);
      assert.equal((await t.call('GET', `/api/v1/postmortems/${pm!.id}`)).body.reminders, 3);
      await t.call('PUT', `/api/v1/postmortems/${pm!.id}`, { status: 'published' });
      assert.deepEqual(await at(48 * H + 7 * 24 * H), { timeline: 3, notified: 3 }, 'published: no more reminders');
      assert.equal((await t.call('GET', `/api/v1/postmortems/${pm!.id}`)).body.overdue, false);
      assert.ok(!(await t.call('GET', '/api/v1/postmortems?overdue=true')).body.items.some((p: { id: string }) => p.id === pm!.id));
      assert.ok((await t.call('GET', '/api/v1/postmortems?overdue=false')).body.items.some((p: { id: string }) => p.id === pm!.id));
      // un-publishing starts them again, from the next interval
      await t.call('PUT', `/api/v1/postmortems/${pm!.id}`, { status: 'in_review' });
      assert.deepEqual(await at(48 * H + 7 * 24 * H + H), { timeline: 3, notified: 3 });
      assert.deepEqual(await at(48 * H + 8 * 24 * H), { timeline: 4, notified: 4 });
    });

    test('list filters and bad input', async () => {
      assert.equal((await t.call('GET', '/api/v1/postmortems?status=draft,in_review')).status, 200);
      const cases: [string, number, RegExp][] = [
        ['/api/v1/postmortems?status=final', 400, /status/],
        ['/api/v1/postmortems?incident_id=abc', 400, /incident_id/],
        ['/api/v1/postmortems?overdue=yes', 400, /overdue/],
        ['/api/v1/postmortems/abc', 404, /not found/],
        ['/api/v1/postmortems/999999/markdown', 404, /not found/],
      ];
      for (const [url, status, re] of cases) {
        const r = await t.call('GET', url);
        assert.equal(r.status, status, url);
        assert.match(r.body.error.message, re, url);
      }
      assert.equal((await t.call('GET', '/api/v1/postmortems', undefined, null)).status, 401);
    });
  });
}

for (const backend of testBackends()) {
  describe(`post-mortem drafts survive a lost bus event (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend); // the real clock: resolutions after the post-mortem migration count
    });
    after(() => t.close());

    test('a resolution whose draft request was lost is drafted at the next start', async () => {
      t.fb.afterIncident.stop(); // as if the process died between the resolve's commit and the bus subscriber
      const inc = (await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: 'Lost draft' })).body;
      await t.call('POST', `/api/v1/incidents/${inc.id}/resolve`);
      await t.fb.afterIncident.settled();
      await t.fb.scheduler.tick();
      assert.deepEqual((await t.call('GET', `/api/v1/postmortems?incident_id=${inc.id}`)).body.items, []);
      await t.fb.afterIncident.start(); // what createFirebreak does at start
      await t.fb.scheduler.tick();
      const items = (await t.call('GET', `/api/v1/postmortems?incident_id=${inc.id}`)).body.items;
      assert.equal(items.length, 1);
      assert.equal(items[0].resolved_at, (await t.call('GET', `/api/v1/incidents/${inc.id}`)).body.resolved_at);
    });
  });
}
