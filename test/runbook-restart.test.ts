// Runbook runs and approvals survive restarts:
// - the real `firebreak serve`, killed with kill -9 between steps: the run,
//   its outputs and a ticked checklist item are unchanged after restart, an
//   approval given after the restart runs the command exactly once, and
//   nothing that already ran runs again;
// - in-process close/re-create on the same database for the cases a kill
//   cannot hit reliably: an approval committed but not yet executed, an
//   incident whose run never started (crash between open and run start), and
//   a step claimed but never finished (declared interrupted, never re-run).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createTestDatabase, testBackends } from '../src/store/test-databases.ts';
import { startTestFirebreak, TEST_ADMIN_TOKEN } from '../src/test-harness.ts';
import { createFirebreak, type Firebreak } from '../src/main.ts';
import { insertIncident } from '../src/store/incident-repo.ts';
import { startServer } from './support/process.ts';
import { waitFor } from './support/wait-for.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';

function writeRunbook(dir: string): { auto: string; gated: string } {
  const auto = path.join(dir, 'auto.txt');
  const gated = path.join(dir, 'gated.txt');
  writeFileSync(
    path.join(dir, 'restart-drill.yaml'),
    `type: restart_drill
title: Restart drill
severity: high
immediate_actions:
  - { id: notify, title: Notify, action: notify }
  - { id: auto-once, title: Automatic once, command: "echo auto-run | tee -a ${auto}", approval: none, timeout: 5s }
  - { id: checklist, title: Checklist, manual: Tick me }
  - { id: gated, title: Gated, command: "echo approved-run | tee -a ${gated}", approval: required, timeout: 5s }
verification:
  - { id: human, title: A human says it is fine, manual: ok }
`,
  );
  return { auto, gated };
}

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
const step = (run: { steps: { id: string }[] }, id: string) => run.steps.find((s) => s.id === id) as Record<string, any>;

for (const backend of testBackends()) {
  describe(`runbook runs across restarts (${backend})`, () => {
    test('kill -9: the run, its outputs and approvals survive; nothing runs twice', async () => {
      const tdb = await createTestDatabase(backend);
      const dir = mkdtempSync(path.join(tmpdir(), 'fb-rb-restart-'));
      const runbooks = path.join(dir, 'runbooks');
      mkdirSync(runbooks);
      const files = writeRunbook(runbooks);
      const config = path.join(dir, 'firebreak.yaml'); // beside, not inside, the runbooks directory
      writeFileSync(config, `runbooks_dir: ${runbooks}\n`);
      const env: Record<string, string> = {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: tdb.dataDir,
        FIREBREAK_CONFIG: config,
        ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}),
      };
      const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
      let srv: Awaited<ReturnType<typeof startServer>> | undefined;
      const api = async (method: string, url: string, body?: unknown) => {
        const r = await fetch(`${srv!.url}${url}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: r.status, body: (await r.json()) as any };
      };
      try {
        srv = await startServer({ cwd: dir, env });
        const created = await api('POST', '/api/v1/incidents', {
          type: 'restart_drill',
          severity: 'high',
          title: 'drill',
          dedup_key: 'global',
        });
        assert.equal(created.status, 201);
        const id = created.body.id as string;
        await waitFor('automated steps', async () => {
          const i = (await api('GET', `/api/v1/incidents/${id}`)).body;
          return i.run && step(i.run, 'auto-once').state === 'succeeded' && step(i.run, 'notify').state === 'succeeded';
        });
        assert.equal((await api('POST', `/api/v1/incidents/${id}/steps/checklist/complete`, { note: 'ticked' })).status, 200);
        const before = (await api('GET', `/api/v1/incidents/${id}`)).body;
        const timelineBefore = (await api('GET', `/api/v1/incidents/${id}/timeline`)).body.items;
        assert.equal(step(before.run, 'gated').state, 'awaiting_approval');
        await srv.kill9();

        srv = await startServer({ cwd: dir, env });
        const after = (await api('GET', `/api/v1/incidents/${id}`)).body;
        assert.deepEqual(after.run, before.run, 'the run is unchanged by kill -9 and restart');
        await new Promise((r) => setTimeout(r, 1200)); // a few scheduler ticks
        assert.deepEqual((await api('GET', `/api/v1/incidents/${id}/timeline`)).body.items, timelineBefore, 'nothing ran again');
        assert.deepEqual(lines(files.auto), ['auto-run']);
        assert.deepEqual(lines(files.gated), [], 'still waiting for an approval');

        assert.equal((await api('POST', `/api/v1/incidents/${id}/steps/gated/approve`, {})).status, 200);
        await waitFor(
          'the approved command',
          async () => step((await api('GET', `/api/v1/incidents/${id}`)).body.run, 'gated').state === 'succeeded',
        );
        await srv.kill9();

        srv = await startServer({ cwd: dir, env });
        await new Promise((r) => setTimeout(r, 1200));
        const last = (await api('GET', `/api/v1/incidents/${id}`)).body;
        assert.equal(step(last.run, 'gated').state, 'succeeded');
        assert.equal(step(last.run, 'gated').attempts, 1);
        assert.equal(step(last.run, 'gated').output, 'approved-run\n');
        assert.equal(step(last.run, 'checklist').state, 'done');
        assert.equal(step(last.run, 'checklist').note, 'ticked');
        assert.deepEqual(lines(files.gated), ['approved-run'], 'exactly once');
        assert.deepEqual(lines(files.auto), ['auto-run'], 'exactly once');
        const tl = (await api('GET', `/api/v1/incidents/${id}/timeline`)).body.items as { kind: string; data: any }[];
        assert.equal(tl.filter((e) => e.kind === 'step' && e.data.step === 'gated' && e.data.status === 'succeeded').length, 1);
        assert.equal(await srv.stop(), 0);
      } finally {
        await srv?.kill9().catch(() => {});
        await tdb.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('close/re-create: an approval not yet executed, a run never started, a step claimed but never finished', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'fb-rb-recreate-'));
      const files = writeRunbook(dir);
      const t = await startTestFirebreak(backend, { configYaml: { runbooks_dir: dir } });
      const reopen = async (clock?: () => Date): Promise<Firebreak> =>
        createFirebreak(t.config, { logger: pino({ level: 'silent' }), background: false, ...(clock ? { clock } : {}) });
      const call = async (fb: Firebreak, method: string, url: string, body?: unknown) => {
        const r = await fb.app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          payload: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: r.statusCode, body: JSON.parse(r.body) };
      };
      const settle = async (fb: Firebreak) => {
        await fb.runbooks.idle();
        await fb.scheduler.tick();
        await fb.runbooks.idle();
      };
      let fb = t.fb;
      try {
        // 1. An approval committed, the command not executed yet, then a restart.
        const a = (await call(fb, 'POST', '/api/v1/incidents', { type: 'restart_drill', severity: 'high', title: 'a', dedup_key: 'a' }))
          .body.id;
        await settle(fb);
        assert.equal((await call(fb, 'POST', `/api/v1/incidents/${a}/steps/gated/approve`, {})).status, 200);
        await fb.close(); // no tick between the approval and the restart
        assert.deepEqual(lines(files.gated), []);
        fb = await reopen();
        assert.equal(step((await call(fb, 'GET', `/api/v1/incidents/${a}`)).body.run, 'gated').state, 'approved');
        await settle(fb);
        await settle(fb);
        assert.equal(step((await call(fb, 'GET', `/api/v1/incidents/${a}`)).body.run, 'gated').state, 'succeeded');
        assert.deepEqual(lines(files.gated), ['approved-run']);

        // 2. The incident committed, the run never started (crash in between): started at the next start.
        const now = new Date();
        const b = (await insertIncident(fb.deps.db, {
          type: 'restart_drill',
          severity: 'high',
          title: 'b',
          description: null,
          dedup_key: 'b',
          source: 'api',
          created_by: 'test',
          now,
          detected_at: now,
          ack_deadline: new Date(now.getTime() + 3_600_000),
        }))!.id;
        assert.equal((await call(fb, 'GET', `/api/v1/incidents/${b}`)).body.run, undefined);
        await fb.close();
        fb = await reopen();
        const runB = (await call(fb, 'GET', `/api/v1/incidents/${b}`)).body.run;
        assert.equal(runB?.runbook.type, 'restart_drill', 'the run was started at start-up');
        await settle(fb);
        assert.deepEqual(lines(files.auto), ['auto-run', 'auto-run'], 'incident a and incident b, once each');

        // 3. A step claimed (running) whose process died before it ran: interrupted, never re-run by itself.
        const c = (await call(fb, 'POST', '/api/v1/incidents', { type: 'restart_drill', severity: 'high', title: 'c', dedup_key: 'c' }))
          .body.id;
        await fb.runbooks.idle();
        await fb.runbooks.stop(); // from here on deferred executions are dropped, as in a crash
        await fb.scheduler.tick(); // claims the steps: running, watchdog timers set
        assert.equal(step((await call(fb, 'GET', `/api/v1/incidents/${c}`)).body.run, 'auto-once').state, 'running');
        await fb.close();
        const later = new Date(Date.now() + 30_000); // past the step timeout and the watchdog grace
        fb = await reopen(() => later);
        await settle(fb);
        const runC = (await call(fb, 'GET', `/api/v1/incidents/${c}`)).body.run;
        assert.equal(step(runC, 'auto-once').state, 'failed');
        assert.match(step(runC, 'auto-once').error, /interrupted/);
        assert.deepEqual(lines(files.auto), ['auto-run', 'auto-run'], 'the interrupted step did not run again by itself');
        assert.equal((await call(fb, 'POST', `/api/v1/incidents/${c}/steps/auto-once/retry`, {})).status, 200);
        await settle(fb);
        assert.equal(step((await call(fb, 'GET', `/api/v1/incidents/${c}`)).body.run, 'auto-once').state, 'succeeded');
        assert.deepEqual(lines(files.auto), ['auto-run', 'auto-run', 'auto-run']);
      } finally {
        await fb.close();
        await t.tdb.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
