// The README's post-mortem and report blocks, run verbatim against the real
// `firebreak serve` after an incident was resolved (its post-mortem drafted by
// the server's own timer loop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { startServer, runBash } from './support/process.ts';
import { readmeScript } from './support/readme-block.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

test('README: post-mortem export → edit → import, and the report', async () => {
  const tdb = await createTestDatabase('embedded');
  const cwd = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-readme-'));
  renameSync(tdb.dataDir, path.join(cwd, 'data'));
  const env: Record<string, string> = { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: '', DATABASE_URL: '' };
  const srv = await startServer({ cwd, env });
  try {
    const inc = (await (
      await fetch(`${srv.url}/api/v1/incidents`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ type: 'database_connection_failure', severity: 'critical', title: 'Pool exhausted' }),
      })
    ).json()) as { id: string };
    assert.equal(inc.id, '1', 'the README speaks of incident 1');
    await fetch(`${srv.url}/api/v1/incidents/1/resolve`, { method: 'POST', headers: auth, body: '{"note":"pool limit restored"}' });
    let drafted = false;
    for (let i = 0; i < 100 && !drafted; i++) {
      const r = (await (await fetch(`${srv.url}/api/v1/postmortems?incident_id=1`, { headers: auth })).json()) as {
        items: { id: string }[];
      };
      drafted = r.items[0]?.id === '1';
      if (!drafted) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(drafted, 'the server drafts post-mortem 1 on its own');

    const apiEnv = { ...env, FIREBREAK_URL: srv.url, FIREBREAK_TOKEN: ADMIN };
    const pm = await runBash(readmeScript('postmortem'), { cwd, env: apiEnv });
    assert.equal(pm.code, 0, `README post-mortem block failed:\n${pm.stdout}\n${pm.stderr}`);
    assert.match(pm.stdout, /^1\s+1\s+draft\s/m, 'listed');
    assert.match(pm.stdout, /^post-mortem 1 updated \(version \d+, in_review\)$/m);
    assert.match(pm.stdout, /^## Root cause\n\nA deploy removed the connection pool limit\.$/m);
    const after = (await (await fetch(`${srv.url}/api/v1/postmortems/1`, { headers: auth })).json()) as {
      root_cause: string;
      status: string;
    };
    assert.equal(after.root_cause, 'A deploy removed the connection pool limit.');
    assert.equal(after.status, 'in_review');

    const report = await runBash(readmeScript('report'), { cwd, env: apiEnv });
    assert.equal(report.code, 0, `README report block failed:\n${report.stdout}\n${report.stderr}`);
    assert.match(report.stdout, /^database_connection_failure\s+1\s+0\s+1\s/m);
    const json = JSON.parse(report.stdout.trim().split('\n').pop()!) as { group_by: string; totals: { incidents: number } };
    assert.equal(json.group_by, 'week');
    assert.equal(json.totals.incidents, 1);
  } finally {
    await srv.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
