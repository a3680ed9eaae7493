// Runs the README's five-minute tour verbatim against the real `firebreak serve`,
// so the README stays true. Only the port and the data directory differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, runBash, BIN, REPO } from './support/process.ts';
import { createTestDatabase } from '../src/store/test-databases.ts';

export function readmeBlock(name: string): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(readme);
  if (!m) throw new Error(`README has no ${name} block`);
  return m[1]!;
}

test('README tour runs as written', async () => {
  const tdb = await createTestDatabase('embedded');
  const cwd = mkdtempSync(path.join(tmpdir(), 'firebreak-tour-'));
  // The tour reads ./data/admin-token: the server's data directory is ./data under cwd.
  const { renameSync } = await import('node:fs');
  renameSync(tdb.dataDir, path.join(cwd, 'data'));
  const srv = await startServer({ cwd, env: { FIREBREAK_DATA_DIR: '', FIREBREAK_ADMIN_TOKEN: '' } });
  try {
    assert.match(srv.output(), /FIREBREAK_TOKEN=fbk_/, 'the first start prints the admin token');
    const script =
      `npx() { if [ "$1" = firebreak ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }\n` +
      readmeBlock('tour').replaceAll('http://127.0.0.1:7700', srv.url);
    const r = await runBash(script, { cwd });
    assert.equal(r.code, 0, `tour failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /"status":"ok"/);
    assert.match(r.stdout, /"outcome":"created"/);
    assert.match(r.stdout, /"outcome":"appended"/);
    assert.match(r.stdout, /#1 is now acknowledged/);
    assert.match(r.stdout, /#1 is now resolved/);
    assert.match(r.stdout, /rolled back to v1\.4\.2/);
    assert.match(r.stdout, /^fbk_[A-Za-z0-9_-]{40,}$/m, 'token create prints the secret alone on its last line');
    assert.match(r.stdout, /web-app\s+ingest/);
  } finally {
    await srv.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
