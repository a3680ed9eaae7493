// Runs the README's "Automated response" example verbatim against a real
// `firebreak serve` (only the port and the directories differ): manual ban,
// allowlist, `firebreak respond` dry run and real run, the bouncer API, lifts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, runBash, BIN } from './support/process.ts';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { readmeBlock } from './support/readme-block.ts';

const NPX = `npx() { if [ "$1" = firebreak ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }\n`;

test('README automated-response example runs as written', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'firebreak-readme-response-'));
  const env = {
    FIREBREAK_DATA_DIR: '',
    FIREBREAK_ADMIN_TOKEN: '',
    FIREBREAK_CONFIG: '',
    DATABASE_URL: '',
    FIREBREAK_URL: '',
    FIREBREAK_TOKEN: '',
  };
  const tdb = await createTestDatabase('embedded');
  renameSync(tdb.dataDir, path.join(cwd, 'data')); // the example reads ./data/admin-token
  const srv = await startServer({ cwd, env });
  try {
    const r = await runBash(NPX + readmeBlock('response').replaceAll('http://127.0.0.1:7700', srv.url), { cwd, env });
    assert.equal(r.code, 0, `example failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /added: decision \d+ ban on ip 203\.0\.113\.5 until/);
    assert.match(r.stdout, /ban +ip +203\.0\.113\.5 .* cscli +- +credential stuffing/);
    assert.match(r.stdout, /"cidr":"198\.51\.100\.0\/24","note":"office"/);
    assert.match(r.stdout, /Dry run: .*ip:198\.51\.100\.7[\s\S]*note: allowlisted: 198\.51\.100\.0\/24/);
    assert.match(r.stdout, /block_ip +ip:203\.0\.113\.9 +succeeded: banned: 203\.0\.113\.9/);
    const stream = /\{"new":\[.*?\],"deleted":(null|\[.*?\])\}/.exec(r.stdout);
    assert.ok(stream, r.stdout);
    const body = JSON.parse(stream[0]) as { new: { value: string; scope: string; origin: string }[] };
    assert.deepEqual(body.new.map((d) => `${d.scope} ${d.value} ${d.origin}`).sort(), ['Ip 203.0.113.5 cscli', 'Ip 203.0.113.9 firebreak']);
    assert.match(r.stdout, /\[\{"id":\d+,"origin":"firebreak","type":"ban","scope":"Ip","value":"203\.0\.113\.9"/);
    assert.match(r.stdout, /lifted 1 decision\(s\)[\s\S]*lifted 1 decision\(s\)/);
  } finally {
    await srv.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
