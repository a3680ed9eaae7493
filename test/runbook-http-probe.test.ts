// An HTTP health probe against a local server that starts failing: after the
// configured number of failures ONE incident opens, its runbook (from a test
// runbooks_dir) runs: the notify action, a manual checklist item, and an
// approval-gated command that runs only once approved, exactly once, with its
// output on the timeline. When the server recovers, verification marks the
// incident mitigated and resolves it (auto_resolve). All loops run for real.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestFirebreak, type TestFirebreak } from '../src/test-harness.ts';
import { testBackends } from '../src/store/test-databases.ts';
import { waitFor } from './support/wait-for.ts';

for (const backend of testBackends()) {
  describe(`http probe → incident → runbook → verification (${backend})`, () => {
    let t: TestFirebreak;
    let server: http.Server;
    let healthy = true;
    let hits = 0;
    let dir: string;
    let file: string;

    before(async () => {
      server = http.createServer((_req, res) => {
        hits++;
        res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' }).end(healthy ? 'ok' : 'down');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
      dir = mkdtempSync(path.join(tmpdir(), 'fb-http-probe-'));
      file = path.join(dir, 'restarts.txt');
      writeFileSync(
        path.join(dir, 'service-down.yaml'),
        `type: service_down
title: Service Down
severity: high
immediate_actions:
  - { id: notify-oncall, title: Notify on-call, action: notify, params: { target: oncall } }
  - { id: check-logs, title: Check the service logs, manual: "Read the last 100 lines of the service log" }
  - id: restart-service
    title: Restart the service
    command: echo approved-run | tee -a ${file}
    approval: required
    timeout: 10s
verification:
  - { id: api-healthy, title: Health check answers 200, probe: api, hold_for: 300ms }
auto_resolve: true
`,
      );
      t = await startTestFirebreak(backend, {
        configYaml: { runbooks_dir: dir, probes: [{ name: 'api', type: 'http', url, interval: '100ms', timeout: '1s', failures: 3 }] },
        create: { background: true, schedulerIntervalMs: 50, verifyIntervalMs: 150 },
      });
    });
    after(async () => {
      await t.close();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    const incidents = async () => (await t.call('GET', '/api/v1/incidents?type=service_down')).body.items as Record<string, any>[];
    const get = async (id: string) => (await t.call('GET', `/api/v1/incidents/${id}`)).body as Record<string, any>;
    const step = (inc: Record<string, any>, id: string) => inc.run.steps.find((s: { id: string }) => s.id === id);

    test('one incident, the runbook runs, approval gates the command, recovery resolves it', async () => {
      await waitFor('the probe to be up', () => t.fb.probeStates()[0]?.status === 'up');
      assert.equal((await incidents()).length, 0);

      healthy = false;
      const [opened] = await waitFor('an incident', async () => ((await incidents()).length ? await incidents() : null));
      const probe = t.fb.probeStates()[0]!;
      assert.ok(probe.consecutive_failures >= 3);
      // More failures: still one incident, and no signal per failed run.
      const runs = probe.runs;
      await waitFor('more probe runs', () => t.fb.probeStates()[0]!.runs >= runs + 5);
      const all = await incidents();
      assert.equal(all.length, 1, 'exactly one incident');
      assert.equal(all[0]!.detection_count, 1);
      assert.equal(opened!.severity, 'high');
      assert.equal(opened!.dedup_key, 'probe:api');

      const health = await t.call('GET', '/api/health/detailed', undefined, null);
      const item = health.body.components.probes.items[0];
      assert.equal(health.body.components.probes.status, 'degraded');
      assert.equal(item.name, 'api');
      assert.equal(item.status, 'down');
      assert.equal(typeof item.latency_ms, 'number');
      assert.match(item.last_error, /HTTP 503/);

      const id = opened!.id as string;
      let inc = await waitFor('the notify step', async () => {
        const i = await get(id);
        return i.run && step(i, 'notify-oncall').state === 'succeeded' ? i : null;
      });
      assert.equal(step(inc, 'check-logs').state, 'pending', 'the manual step is a checklist item');
      assert.equal(step(inc, 'check-logs').kind, 'manual');
      assert.equal(step(inc, 'restart-service').state, 'awaiting_approval');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(existsSync(file), false, 'not run without an approval');

      const responder = await t.makeToken('responder', 'bob');
      const ok = await t.call('POST', `/api/v1/incidents/${id}/steps/restart-service/approve`, { note: 'go' }, responder);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      inc = await waitFor('the approved command', async () => {
        const i = await get(id);
        return step(i, 'restart-service').state === 'succeeded' ? i : null;
      });
      assert.equal(step(inc, 'restart-service').output, 'approved-run\n');
      assert.equal(step(inc, 'restart-service').approved_by, 'bob');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(readFileSync(file, 'utf8'), 'approved-run\n', 'ran exactly once');
      assert.equal((await get(id)).status, 'triggered', 'still failing: not mitigated');
      assert.equal((await get(id)).mitigated_at, null);

      healthy = true;
      const resolved = await waitFor('auto-resolution', async () => {
        const i = await get(id);
        return i.status === 'resolved' ? i : null;
      });
      assert.ok(resolved.mitigated_at, 'mitigated first');
      assert.ok(resolved.mitigated_at <= resolved.resolved_at);
      assert.equal(resolved.resolved_by, 'runbook:service_down');
      assert.equal(resolved.run.checks[0].ok, true);
      assert.ok(resolved.run.verified_at);

      const tl = (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).body.items as {
        kind: string;
        actor: string;
        data: any;
        message: string;
      }[];
      const kinds = tl.map((e) => e.kind);
      assert.equal(kinds[0], 'opened');
      assert.equal(tl[0]!.data.evidence.consecutive_failures, 3);
      assert.match(tl[0]!.data.evidence.last_error, /503/);
      for (const k of ['step', 'probe', 'check', 'mitigated', 'resolved'])
        assert.ok(kinds.includes(k), `timeline has ${k}: ${kinds.join(',')}`);
      assert.ok(kinds.indexOf('mitigated') < kinds.indexOf('resolved'));
      const output = tl.find((e) => e.kind === 'step' && e.data.step === 'restart-service' && e.data.status === 'succeeded');
      assert.equal(output?.data.output, 'approved-run\n');
      assert.equal(tl.filter((e) => e.kind === 'step' && e.data.step === 'restart-service' && e.data.status === 'succeeded').length, 1);
      assert.ok(hits > 10);
      assert.equal(readFileSync(file, 'utf8'), 'approved-run\n');
    });
  });
}
