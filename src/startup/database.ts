/**
 * Start-up step 2, the database: open the configured one (embedded PGlite in
 * `data_dir`, or the PostgreSQL server of `database_url`) and bring its schema
 * up to date. Also the `database` part of the health report, the one critical
 * part (down → 503).
 */
import type { Config } from '../config.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import type { HealthPart } from '../engine/engine.ts';

/** `given` (tests) replaces the configured database. */
export async function openDatabase(config: Config, given?: Db): Promise<Db> {
  const db = given ?? (await openDb({ databaseUrl: config.database_url, dataDir: config.data_dir }));
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

export function databaseHealth(db: Db): HealthPart {
  return {
    name: 'database',
    critical: true,
    async check() {
      const t0 = performance.now();
      await db.query('SELECT 1');
      return { status: 'ok', kind: db.kind, latency_ms: Math.round((performance.now() - t0) * 100) / 100 };
    },
  };
}
