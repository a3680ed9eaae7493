// `firebreak backup` as a user runs it: create with the server stopped and
// while it runs, list, verify (a damaged copy exits 1), restore into a new data
// directory and read the incidents back through a server started on it;
// restore refuses while a server holds the data directory and refuses a
// non-empty database without --force.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, testBackends } from '../src/store/test-databases.ts';
import { startServer, runCli, runBash, freePort, type ServerProcess } from './support/process.ts';
import { readmeScript } from './support/readme-block.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const lastLine = (s: string) => s.trimEnd().split('\n').pop()!;

async function incidents(srv: ServerProcess): Promise<unknown[]> {
  const r = await fetch(`${srv.url}/api/v1/incidents?limit=500`, { headers: auth });
  return ((await r.json()) as { items: unknown[] }).items;
}

describe('backup CLI (embedded)', () => {
  test('create while running and while stopped, list, verify, restore into a new data directory (and the README block)', async () => {
    // The README block uses ./data: the data directory is ./data under the working directory.
    const tdb = await createTestDatabase('embedded');
    const cwd = mkdtempSync(path.join(tmpdir(), 'firebreak-backup-e2e-'));
    const dataDir = path.join(cwd, 'data');
    renameSync(tdb.dataDir, dataDir);
    const fresh = path.join(cwd, 'restored');
    const port = await freePort();
    // PORT lets the CLI find the server from the configuration; no FIREBREAK_URL unless a step sets it.
    const env: Record<string, string> = {
      FIREBREAK_ADMIN_TOKEN: ADMIN,
      FIREBREAK_DATA_DIR: '',
      PORT: String(port),
      DATABASE_URL: '',
      FIREBREAK_URL: '',
      FIREBREAK_TOKEN: '',
    };
    let srv = await startServer({ cwd, env, port });
    try {
      for (const title of ['Disk full on db-1', 'Brute force — 203.0.113.5 "quoted"']) {
        const r = await fetch(`${srv.url}/api/v1/incidents`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ type: 'backup_drill', severity: 'high', title }),
        });
        assert.equal(r.status, 201);
      }
      const before = await incidents(srv);

      // Server running: through the API with FIREBREAK_URL/FIREBREAK_TOKEN …
      const viaApi = await runCli(['backup', 'create'], { cwd, env: { ...env, FIREBREAK_URL: srv.url, FIREBREAK_TOKEN: ADMIN } });
      assert.equal(viaApi.code, 0, viaApi.stderr);
      const running = lastLine(viaApi.stdout);
      assert.ok(path.isAbsolute(running) && existsSync(running), `path alone on the last line: ${running}`);
      assert.equal(path.dirname(running), path.join(dataDir, 'backups'));
      // … and, with only a token, by finding the server from the configuration.
      const found = await runCli(['backup', 'create', '--output', path.join(cwd, 'explicit.tar.gz')], {
        cwd,
        env: { ...env, FIREBREAK_TOKEN: ADMIN },
      });
      assert.equal(found.code, 0, found.stderr);
      assert.match(found.stderr, /a server is running .* backing up through its API/);
      assert.equal(lastLine(found.stdout), path.join(cwd, 'explicit.tar.gz'));
      // A restore while the server holds the data directory is refused.
      const busy = await runCli(['backup', 'restore', '--backup-path', running, '--force'], { cwd, env });
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /stop the server before restoring.*in use by another Firebreak process \(pid \d+\)/s);
      assert.equal(await srv.stop(), 0);

      // Server stopped: the README block (create directly on the database, list, verify, restore --force).
      const readme = await runBash(readmeScript('backup'), { cwd, env });
      assert.equal(readme.code, 0, `README backup block failed:\n${readme.stdout}\n${readme.stderr}`);
      const direct = /^(\/\S+firebreak-backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.tar\.gz)$/m.exec(readme.stdout)?.[1];
      assert.ok(direct && existsSync(direct), readme.stdout);
      assert.match(readme.stdout, /backup of \d+ tables, \d+ rows \(schema version \d+, embedded\)/);
      for (const f of [running, direct]) assert.ok(readme.stdout.includes(path.basename(f)), `listed: ${f}`);
      assert.match(readme.stdout, /^OK .*\n.*schema version \d+\n.*every checksum matches/m);
      assert.match(readme.stdout, /^safety backup of the replaced database: .*firebreak-pre-restore-.*\.tar\.gz$/m);
      assert.match(readme.stdout, /^restored \d+ rows in \d+ tables from /m);

      // Damaged copies: exit 1 with a clear message, and nothing is touched.
      const bytes = readFileSync(direct);
      const flipped = path.join(cwd, 'flipped.tar.gz');
      const b = Buffer.from(bytes);
      b[Math.floor(b.length / 2)] ^= 0x10;
      writeFileSync(flipped, b);
      const cut = path.join(cwd, 'cut.tar.gz');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 64));
      const v = await runCli(['backup', 'verify', flipped], { cwd, env });
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stderr, /^error: backup .* failed verification: .*(corrupt|mismatch)/m);
      const r = await runCli(['backup', 'restore', '--backup-path', cut, '--data-dir', fresh], { cwd, env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: backup .* failed verification: the file is truncated/m);
      assert.ok(!existsSync(fresh), 'a damaged backup is refused before the database is even opened');

      // Restore into a new, empty data directory and read it back through a server.
      const restored = await runCli(['backup', 'restore', '--backup-path', direct, '--data-dir', fresh], { cwd, env });
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /^restored \d+ rows in \d+ tables from /m);
      srv = await startServer({ cwd, env: { ...env, FIREBREAK_DATA_DIR: fresh }, port });
      assert.deepEqual(await incidents(srv), before);
      assert.equal(await srv.stop(), 0);
      const refused = await runCli(['backup', 'restore', '--backup-path', running, '--data-dir', fresh], { cwd, env });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not empty .*--force/);
    } finally {
      await srv.kill9().catch(() => {});
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

if (testBackends().includes('server')) {
  describe('backup CLI (server)', () => {
    test('with DATABASE_URL, create goes straight to the database even while the server runs; restore into another database', async () => {
      const tdb = await createTestDatabase('server');
      const target = await createTestDatabase('server');
      const env: Record<string, string> = {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: tdb.dataDir,
        DATABASE_URL: tdb.databaseUrl!,
        FIREBREAK_URL: '',
        FIREBREAK_TOKEN: '',
      };
      let srv = await startServer({ cwd: tdb.dataDir, env });
      try {
        await fetch(`${srv.url}/api/v1/incidents`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ type: 'backup_drill', severity: 'low', title: 'on the server' }),
        });
        const before = await incidents(srv);
        const c = await runCli(['backup', 'create'], { cwd: tdb.dataDir, env });
        assert.equal(c.code, 0, c.stderr);
        assert.match(c.stdout, /\(schema version \d+, server\)/);
        const file = lastLine(c.stdout);
        await srv.stop();
        const targetEnv = { ...env, DATABASE_URL: target.databaseUrl!, FIREBREAK_DATA_DIR: target.dataDir };
        const r = await runCli(['backup', 'restore', '--backup-path', file], { env: targetEnv });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /no Firebreak server may use this database meanwhile/);
        srv = await startServer({ cwd: target.dataDir, env: targetEnv });
        assert.deepEqual(await incidents(srv), before);
        await srv.stop();
      } finally {
        await srv.kill9().catch(() => {});
        await tdb.destroy();
        await target.destroy();
      }
    });
  });
}
