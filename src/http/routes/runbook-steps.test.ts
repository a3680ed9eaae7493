// Runbook runs through the API: the run starts with the incident, automated
// steps run on scheduler ticks (driven by hand here), manual steps are ticked,
// gated commands run once per approval, failed steps are retried or skipped.
// Only harmless commands from a test runbooks_dir run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { listAudit } from '../../store/audit-repo.ts';

function runbookYaml(file: string): string {
  return `
type: steps_test
title: Steps test
severity: high
immediate_actions:
  - { id: notify-team, title: Notify the team, action: notify, params: { target: security } }
  - { id: look-around, title: Look around, manual: "Check the dashboards\\nCheck the logs" }
  - { id: gated, title: Gated command, command: "echo approved-run | tee -a ${file}", approval: required, timeout: 5s }
  - { id: auto, title: Automatic command, command: "echo auto-run; echo to-stderr >&2", approval: none, timeout: 5s }
  - { id: flaky, title: Failing command, command: "echo trying; exit 4", approval: none, timeout: 5s }
verification:
  - { id: eyeball, title: Looks fine, manual: A human says so }
`;
}

for (const backend of testBackends()) {
  describe(`runbook steps API (${backend})`, () => {
    let t: TestFirebreak;
    let dir: string;
    let file: string;
    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'fb-steps-'));
      file = path.join(dir, 'approved.txt');
      writeFileSync(path.join(dir, 'steps-test.yaml'), runbookYaml(file));
      writeFileSync(
        path.join(dir, 'env-test.yaml'),
        `type: env_test
title: Env test
severity: low
immediate_actions:
  - { id: show-env, title: Show the environment, command: "echo extra=$EXTRA; env | cut -d= -f1 | sort | tr '\\n' ' '", approval: none, timeout: 5s, env: { EXTRA: given } }
`,
      );
      t = await startTestFirebreak(backend, { configYaml: { runbooks_dir: dir }, create: { runbookActionGraceMs: 0 } });
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const settle = async () => {
      await t.fb.runbooks.idle();
      await t.fb.scheduler.tick();
      await t.fb.runbooks.idle();
    };
    const stepOf = (run: { steps: { id: string }[] }, id: string) => run.steps.find((s) => s.id === id) as Record<string, any>;

    test('the run starts with the incident; steps, approvals, retries and skips', async () => {
      const created = await t.call('POST', '/api/v1/incidents', { type: 'steps_test', severity: 'high', title: 'x', dedup_key: 'global' });
      assert.equal(created.status, 201);
      const id = created.body.id;
      await t.fb.runbooks.idle();
      let inc = await t.call('GET', `/api/v1/incidents/${id}`);
      assert.deepEqual(inc.body.run.runbook, { type: 'steps_test', title: 'Steps test', auto_resolve: false });
      assert.deepEqual(
        inc.body.run.steps.map((s: { id: string; kind: string; state: string }) => [s.id, s.kind, s.state]),
        [
          ['notify-team', 'action', 'pending'],
          ['look-around', 'manual', 'pending'],
          ['gated', 'command', 'awaiting_approval'],
          ['auto', 'command', 'pending'],
          ['flaky', 'command', 'pending'],
        ],
      );
      assert.equal(stepOf(inc.body.run, 'look-around').manual, 'Check the dashboards\nCheck the logs');
      assert.equal(stepOf(inc.body.run, 'notify-team').action, 'notify');
      assert.deepEqual(inc.body.run.checks, [
        { id: 'eyeball', title: 'Looks fine', kind: 'manual', ok: null, since: null, hold_ms: 0, last_checked_at: null },
      ]);

      await settle();
      inc = await t.call('GET', `/api/v1/incidents/${id}`);
      assert.equal(stepOf(inc.body.run, 'notify-team').state, 'succeeded');
      const auto = stepOf(inc.body.run, 'auto');
      assert.equal(auto.state, 'succeeded');
      assert.equal(auto.attempts, 1);
      assert.match(auto.output, /auto-run/);
      assert.match(auto.output, /to-stderr/);
      const flaky = stepOf(inc.body.run, 'flaky');
      assert.equal(flaky.state, 'failed');
      assert.equal(flaky.error, 'exited with code 4');
      assert.equal(stepOf(inc.body.run, 'gated').state, 'awaiting_approval');
      assert.equal(existsSync(file), false, 'a gated command never runs before approval');

      // permissions: a viewer may not act on steps
      const viewer = await t.makeToken('viewer');
      assert.equal((await t.call('POST', `/api/v1/incidents/${id}/steps/look-around/complete`, {}, viewer)).status, 403);
      const responder = await t.makeToken('responder', 'alice');
      const done = await t.call('POST', `/api/v1/incidents/${id}/steps/look-around/complete`, { note: 'all green' }, responder);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(stepOf(done.body, 'look-around').state, 'done');
      assert.equal(stepOf(done.body, 'look-around').completed_by, 'alice');
      assert.equal((await t.call('POST', `/api/v1/incidents/${id}/steps/look-around/complete`, {}, responder)).status, 409);

      const approved = await t.call('POST', `/api/v1/incidents/${id}/steps/gated/approve`, undefined, responder);
      assert.equal(approved.status, 200);
      assert.equal(stepOf(approved.body, 'gated').state, 'approved');
      assert.equal(stepOf(approved.body, 'gated').approved_by, 'alice');
      assert.equal(
        (await t.call('POST', `/api/v1/incidents/${id}/steps/gated/approve`, undefined, responder)).status,
        409,
        'one approval at a time',
      );
      await settle();
      await settle();
      assert.equal(readFileSync(file, 'utf8'), 'approved-run\n', 'ran exactly once');
      inc = await t.call('GET', `/api/v1/incidents/${id}`);
      assert.equal(stepOf(inc.body.run, 'gated').state, 'succeeded');
      assert.equal(stepOf(inc.body.run, 'gated').attempts, 1);

      const retried = await t.call('POST', `/api/v1/incidents/${id}/steps/flaky/retry`, {}, responder);
      assert.equal(stepOf(retried.body, 'flaky').state, 'pending');
      await settle();
      inc = await t.call('GET', `/api/v1/incidents/${id}`);
      assert.equal(stepOf(inc.body.run, 'flaky').state, 'failed');
      assert.equal(stepOf(inc.body.run, 'flaky').attempts, 2);
      const skipped = await t.call('POST', `/api/v1/incidents/${id}/steps/flaky/skip`, { reason: 'not on this host' }, responder);
      assert.equal(stepOf(skipped.body, 'flaky').state, 'skipped');
      assert.equal(stepOf(skipped.body, 'flaky').note, 'not on this host');
      assert.equal(skipped.body.finished, true);

      const tl = await t.call('GET', `/api/v1/incidents/${id}/timeline`);
      const steps = tl.body.items.filter((e: { kind: string }) => e.kind === 'step');
      const gatedDone = steps.find(
        (e: { data: { step: string; status: string } }) => e.data.step === 'gated' && e.data.status === 'succeeded',
      );
      assert.ok(gatedDone, 'the approved command has a timeline entry');
      assert.equal(gatedDone.data.output, 'approved-run\n');
      assert.equal(gatedDone.data.exit_code, 0);
      assert.equal(gatedDone.actor, 'runbook:steps_test');
      assert.ok(steps.some((e: { message: string }) => /approved by alice/.test(e.message)));
      assert.ok(steps.some((e: { data: { step: string; status: string } }) => e.data.step === 'flaky' && e.data.status === 'failed'));

      const audit = await listAudit(t.fb.deps.db, { limit: 100 });
      const actions = audit.filter((a) => a.target === `incident:${id}`).map((a) => a.action);
      for (const a of ['runbook.start', 'runbook.step.complete', 'runbook.step.approve', 'runbook.step.retry', 'runbook.step.skip'])
        assert.ok(actions.includes(a), `audit has ${a}`);
    });

    test('errors: unknown step 404, no run 404, bad body 400, resolved incident 409 for approve', async () => {
      const a = await t.call('POST', '/api/v1/incidents', { type: 'steps_test', severity: 'high', title: 'y', dedup_key: 'k2' });
      await t.fb.runbooks.idle();
      const id = a.body.id;
      const none = await t.call('POST', '/api/v1/incidents', { type: 'no_runbook_here', severity: 'low', title: 'z' });
      await t.fb.runbooks.idle();
      assert.equal((await t.call('GET', `/api/v1/incidents/${none.body.id}`)).body.run, undefined, 'a type without a runbook gets no run');
      const cases: [string, unknown, number, string, RegExp][] = [
        [`/api/v1/incidents/${id}/steps/nope/complete`, {}, 404, 'not_found', /no step "nope"/],
        [`/api/v1/incidents/${none.body.id}/steps/x/complete`, {}, 404, 'not_found', /no runbook run/],
        [`/api/v1/incidents/999999/steps/x/skip`, {}, 404, 'not_found', /not found/],
        [`/api/v1/incidents/${id}/steps/look-around/complete`, { note: 5 }, 400, 'invalid', /note/],
        [`/api/v1/incidents/${id}/steps/look-around/skip`, { because: 'x' }, 400, 'invalid', /because/],
        [`/api/v1/incidents/${id}/steps/look-around/approve`, {}, 409, 'conflict', /pending/],
        [`/api/v1/incidents/${id}/steps/gated/complete`, {}, 409, 'conflict', /not a manual step/],
      ];
      for (const [url, body, status, code, msg] of cases) {
        const r = await t.call('POST', url, body);
        assert.equal(r.status, status, `${url} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code);
        assert.match(r.body.error.message, msg);
      }
      await t.call('POST', `/api/v1/incidents/${id}/resolve`);
      const late = await t.call('POST', `/api/v1/incidents/${id}/steps/gated/approve`, {});
      assert.equal(late.status, 409);
      assert.match(late.body.error.message, /resolved/);
      assert.equal(
        (await t.call('POST', `/api/v1/incidents/${id}/steps/look-around/complete`, {})).status,
        200,
        'the checklist can still be ticked after resolution',
      );
    });

    test("commands get PATH, HOME, LANG and the step's env only; viewers never see their output", async () => {
      const created = await t.call('POST', '/api/v1/incidents', { type: 'env_test', severity: 'low', title: 'env', dedup_key: 'global' });
      assert.equal(created.status, 201);
      const id = created.body.id;
      await settle();
      const responder = await t.makeToken('responder', 'rudy');
      const inc = await t.call('GET', `/api/v1/incidents/${id}`, undefined, responder);
      const step = stepOf(inc.body.run, 'show-env');
      assert.equal(step.state, 'succeeded', JSON.stringify(step));
      assert.match(step.output, /^extra=given\n/);
      const names = step.output.split('\n')[1].trim().split(' ');
      for (const n of ['PATH', 'HOME', 'LANG', 'EXTRA']) assert.ok(names.includes(n), `${n} missing: ${names}`);
      for (const n of names) assert.ok(['PATH', 'HOME', 'LANG', 'EXTRA', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(n), `inherited ${n}`);
      const viewer = await t.makeToken('viewer');
      const seen = await t.call('GET', `/api/v1/incidents/${id}`, undefined, viewer);
      assert.equal(stepOf(seen.body.run, 'show-env').state, 'succeeded', 'a viewer sees how it went');
      assert.doesNotMatch(JSON.stringify(seen.body), /extra=given/, 'but not the output');
      const tl = await t.call('GET', `/api/v1/incidents/${id}/timeline`, undefined, viewer);
      assert.ok(tl.body.items.some((e: { kind: string }) => e.kind === 'step'));
      assert.doesNotMatch(JSON.stringify(tl.body), /extra=given/);
      const tlResponder = await t.call('GET', `/api/v1/incidents/${id}/timeline`, undefined, responder);
      assert.match(JSON.stringify(tlResponder.body), /extra=given/);
    });
  });
}
