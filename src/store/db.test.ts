import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, testBackends } from './test-databases.ts';
import { openDb } from './db.ts';
import { migrate } from './migrate.ts';
import { loadClusterTemplate } from './pglite-template.ts';

// Deadlocks need two sessions: the embedded database has one, so this runs on the server backend (TEST_DATABASE_URL, as in CI).
if (testBackends().includes('server'))
  test('a transaction that loses a deadlock is run again (server)', async () => {
    const tdb = await createTestDatabase('server');
    const db = await tdb.open();
    try {
      await db.exec('CREATE TABLE dl (id int PRIMARY KEY, n int NOT NULL); INSERT INTO dl VALUES (1, 0), (2, 0);');
      let runs = 0;
      const body = (first: number, second: number) =>
        db.tx(async (q) => {
          runs++;
          await q.query('UPDATE dl SET n = n + 1 WHERE id = $1', [first]);
          await new Promise((r) => setTimeout(r, 100)); // both now hold one row lock
          await q.query('UPDATE dl SET n = n + 1 WHERE id = $1', [second]);
        });
      await Promise.all([body(1, 2), body(2, 1)]);
      assert.ok(runs >= 3, `one of the two was retried (runs: ${runs})`);
      const r = await db.query<{ n: number }>('SELECT n FROM dl ORDER BY id');
      assert.deepEqual(
        r.rows.map((x) => x.n),
        [2, 2],
        'both committed exactly once',
      );
    } finally {
      await db.close();
      await tdb.destroy();
    }
  });

test('a new embedded data directory starts from the install template; a bad template falls back to initdb', async () => {
  const template = loadClusterTemplate();
  assert.ok(template, 'dist/pglite-template.tar is missing or not for this PGlite: `npm ci` makes it (node scripts/build-db-template.js)');
  for (const clusterTemplate of [template, new Blob(['not a tar file'], { type: 'application/x-tar' }), null]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-template-test-'));
    try {
      let db = await openDb({ dataDir: dir, clusterTemplate });
      await migrate(db);
      await db.query(
        `INSERT INTO tokens (id, name, role, hash, prefix, created_at, created_by) VALUES ('t1', 'n', 'viewer', 'h', 'p', now(), 'test')`,
      );
      await db.close();
      db = await openDb({ dataDir: dir, clusterTemplate }); // the second open uses the cluster it made
      assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tokens')).rows[0]!.n, 1);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
