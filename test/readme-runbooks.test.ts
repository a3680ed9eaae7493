// Runs the README's "Runbook runs" example verbatim: write a runbook and a
// config, validate them, start `firebreak serve --config firebreak.yaml`, open
// an incident, tick the checklist, approve the gated command. Only the port
// and the directories differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, runBash, BIN } from './support/process.ts';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { readmeBlock } from './support/readme-block.ts';

const NPX = `npx() { if [ "$1" = firebreak ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }\n`;

test('README runbook example runs as written', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'firebreak-readme-runbooks-'));
  const env = { FIREBREAK_DATA_DIR: '', FIREBREAK_ADMIN_TOKEN: '', FIREBREAK_CONFIG: '', DATABASE_URL: '' };
  const setup = await runBash(NPX + readmeBlock('runbooks-setup'), { cwd, env });
  assert.equal(setup.code, 0, `setup failed:\n${setup.stdout}\n${setup.stderr}`);
  assert.match(setup.stdout, /ok: \d+ runbooks valid \(\d+ built-in, 1 from .*my-runbooks\)/);

  const tdb = await createTestDatabase('embedded');
  renameSync(tdb.dataDir, path.join(cwd, 'data')); // the example reads ./data/admin-token
  const srv = await startServer({ cwd, env, args: ['--config', 'firebreak.yaml'] });
  try {
    const r = await runBash(NPX + readmeBlock('runbook-run').replaceAll('http://127.0.0.1:7700', srv.url), { cwd, env });
    assert.equal(r.code, 0, `example failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\{"id":"notify-oncall","kind":"action","state":"succeeded"\}/);
    assert.match(r.stdout, /\{"id":"capture-state","kind":"command","state":"succeeded"\}/);
    assert.match(r.stdout, /\{"id":"read-logs","kind":"manual","state":"pending"\}/);
    assert.match(r.stdout, /\{"id":"restart-api","kind":"command","state":"awaiting_approval"\}/);
    assert.match(r.stdout, /Step "Restart the API" \(restart-api\) approved by/);
    assert.match(r.stdout, /Step "Restart the API" \(restart-api\) succeeded/);
    assert.match(r.stdout, /Step "Read the service log" \(read-logs\) done/);
    assert.equal(readFileSync(path.join(cwd, 'restarts.log'), 'utf8'), 'restart requested\n', 'the approved command ran once');
  } finally {
    await srv.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
