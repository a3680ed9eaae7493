// A real PostgreSQL probe against a throwaway cluster started for this test
// (never the machine's shared cluster): stopping it opens ONE critical
// database_connection_failure incident; the runbook (a test override of the
// built-in one, harmless commands only) runs; an approval-gated command runs
// once after approval; starting the cluster again satisfies the probe and
// SQL checks, so the incident is mitigated and resolved.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestFirebreak, type TestFirebreak } from '../src/test-harness.ts';
import { testBackends } from '../src/store/test-databases.ts';
import { startPgCluster, pgClusterAvailable, type PgCluster } from './support/pg-cluster.ts';
import { waitFor } from './support/wait-for.ts';

const skip = pgClusterAvailable() ? false : 'no PostgreSQL server binaries to start a throwaway cluster';

for (const backend of testBackends()) {
  describe(`postgres probe → database_connection_failure runbook (${backend})`, { skip }, () => {
    let t: TestFirebreak;
    let pg: PgCluster;
    let dir: string;
    let file: string;
    before(async () => {
      pg = await startPgCluster();
      dir = mkdtempSync(path.join(tmpdir(), 'fb-pg-probe-'));
      file = path.join(dir, 'restarts.txt');
      writeFileSync(
        path.join(dir, 'database-connection-failure.yaml'),
        `# Test override of the built-in runbook: same type, harmless commands.
type: database_connection_failure
title: Database Connection Failures
severity: critical
immediate_actions:
  - { id: check-database-status, title: Check Database Status, command: "echo checked-database", approval: none, timeout: 5s }
  - { id: check-connection-pool, title: Check Connection Pool, manual: "Review connection pool metrics\\nCheck for connection leaks" }
  - { id: restart-database, title: Restart Database, command: "echo restart-requested | tee -a ${file}", approval: required, timeout: 10s }
verification:
  - { id: db-probe, title: Database probe healthy, probe: db, hold_for: 200ms }
  - { id: select-one, title: SELECT 1 answers, sql: { query: "SELECT 1", expect: 1 } }
auto_resolve: true
`,
      );
      t = await startTestFirebreak(backend, {
        configYaml: {
          runbooks_dir: dir,
          probes: [{ name: 'db', type: 'postgres', url: pg.url, interval: '100ms', timeout: '1s', failures: 2 }],
        },
        create: { background: true, schedulerIntervalMs: 50, verifyIntervalMs: 150 },
      });
    });
    after(async () => {
      await t?.close();
      pg?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const get = async (id: string) => (await t.call('GET', `/api/v1/incidents/${id}`)).body as Record<string, any>;
    const step = (inc: Record<string, any>, id: string) => inc.run.steps.find((s: { id: string }) => s.id === id);

    test('cluster down → one critical incident and its runbook; cluster up → mitigated and resolved', async () => {
      await waitFor('the db probe up', () => t.fb.probeStates()[0]?.status === 'up');
      pg.stop();
      const list = await waitFor('the incident', async () => {
        const items = (await t.call('GET', '/api/v1/incidents?type=database_connection_failure')).body.items;
        return items.length ? items : null;
      });
      await new Promise((r) => setTimeout(r, 400)); // more failing runs
      const again = (await t.call('GET', '/api/v1/incidents?type=database_connection_failure')).body.items;
      assert.equal(again.length, 1);
      const id = list[0].id;
      assert.equal(list[0].severity, 'critical');
      assert.equal(list[0].dedup_key, 'probe:db');
      assert.equal(list[0].created_by, 'probe:db');

      let inc = await waitFor('the read-only check', async () => {
        const i = await get(id);
        return i.run && step(i, 'check-database-status').state === 'succeeded' ? i : null;
      });
      assert.equal(inc.run.runbook.title, 'Database Connection Failures');
      assert.equal(step(inc, 'check-database-status').output, 'checked-database\n');
      assert.equal(step(inc, 'restart-database').state, 'awaiting_approval');
      assert.equal(step(inc, 'check-connection-pool').state, 'pending');

      assert.equal((await t.call('POST', `/api/v1/incidents/${id}/steps/restart-database/approve`, {})).status, 200);
      inc = await waitFor('the approved restart', async () => {
        const i = await get(id);
        return step(i, 'restart-database').state === 'succeeded' ? i : null;
      });
      assert.equal(readFileSync(file, 'utf8'), 'restart-requested\n');
      assert.equal((await get(id)).status, 'triggered');

      pg.start();
      const done = await waitFor('resolution', async () => {
        const i = await get(id);
        return i.status === 'resolved' ? i : null;
      });
      assert.ok(done.mitigated_at);
      assert.equal(done.resolved_by, 'runbook:database_connection_failure');
      assert.deepEqual(
        done.run.checks.map((c: { id: string; ok: boolean }) => [c.id, c.ok]),
        [
          ['db-probe', true],
          ['select-one', true],
        ],
      );
      const tl = (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).body.items as { kind: string; message: string; data: any }[];
      assert.match(tl[0]!.message, /Database unreachable: probe db failing/);
      assert.ok(tl[0]!.data.evidence.last_error);
      assert.ok(tl.some((e) => e.kind === 'check' && e.data.check === 'select-one' && e.data.ok === true));
      assert.ok(tl.some((e) => e.kind === 'mitigated'));
      assert.equal(readFileSync(file, 'utf8'), 'restart-requested\n', 'the approved command ran exactly once');
    });
  });
}
