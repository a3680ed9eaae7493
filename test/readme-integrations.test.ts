// Runs the README's "Integrations" example verbatim against the real
// `firebreak serve`: create a PagerDuty-style integration with the CLI, send
// trigger and resolve events with curl, look at the escalation and schedules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, runBash, BIN } from './support/process.ts';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { readmeBlock } from './readme-tour.test.ts';

const NPX = `npx() { if [ "$1" = firebreak ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }\n`;

test('README integrations example runs as written', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'firebreak-readme-integrations-'));
  const env = { FIREBREAK_DATA_DIR: '', FIREBREAK_ADMIN_TOKEN: '', FIREBREAK_CONFIG: '', DATABASE_URL: '' };
  const tdb = await createTestDatabase('embedded');
  renameSync(tdb.dataDir, path.join(cwd, 'data')); // the example reads ./data/admin-token
  const srv = await startServer({ cwd, env });
  try {
    const r = await runBash(NPX + readmeBlock('integrations').replaceAll('http://127.0.0.1:7700', srv.url), { cwd, env });
    assert.equal(r.code, 0, `example failed:\n${r.stdout}\n${r.stderr}`);
    assert.equal((r.stdout.match(/\{"status":"success","message":"Event processed","dedup_key":"disk-db1"\}/g) ?? []).length, 2);
    assert.match(r.stdout, /^1\s+critical\s+resolved\s+alert\s+pd:int_\w+:disk-db1/m);
    assert.match(r.stdout, /"incident_id":"1"/);
    assert.match(r.stdout, /"source":"built-in"/);
    assert.doesNotMatch(srv.output(), /routing_key/, 'the key is not logged');
  } finally {
    await srv.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
