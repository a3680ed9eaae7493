import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testBackends } from './test-databases.ts';
import { listMigrations, migrate } from './migrate.ts';

// Instances of a cluster start together on one fresh database: every one
// migrates it at once. Only the server backend has several sessions.
if (testBackends().includes('server'))
  test('three processes migrating one fresh database at once: each version applied exactly once, none fails (server)', async () => {
    for (let round = 0; round < 3; round++) {
      const tdb = await createTestDatabase('server');
      const dbs = await Promise.all([tdb.open(), tdb.open(), tdb.open()]);
      try {
        const applied = await Promise.all(dbs.map((db) => migrate(db)));
        const all = applied.flat().sort((a, b) => a - b);
        assert.equal(all.length, listMigrations().length, `every version applied once in all (round ${round})`);
        assert.equal(new Set(all).size, all.length, 'no version applied twice');
        const r = await dbs[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        assert.equal(r.rows[0]!.n, listMigrations().length);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
        await tdb.destroy();
      }
    }
  });
