/**
 * Versioned migrations: `migrations/NNN-name.sql`, applied in order at start,
 * each in its own transaction, recorded in `schema_migrations`. An advisory
 * lock keeps two processes starting together from applying one twice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';
import type { Db } from './db.ts';
import { packagePath } from '../paths.ts';

const MIGRATIONS_DIR = packagePath('src', 'store', 'migrations');
const LOCK_ID = 774_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f.replace(/\.sql$/, ''),
      sql: readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8'),
    }));
}

/** The newest schema version this build knows. */
export function latestSchemaVersion(): number {
  const all = listMigrations();
  return all.length ? all[all.length - 1]!.version : 0;
}

/** Applies pending migrations; returns the versions applied. */
export async function migrate(db: Db): Promise<number[]> {
  const applied: number[] = [];
  // Under the lock too: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe
  // against itself, and instances of a cluster often start together on a
  // fresh database (a concurrent one fails on pg_type's unique index).
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await q.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
  });
  for (const m of listMigrations()) {
    await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      const done = await q.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (done.rows.length > 0) return;
      await q.exec(m.sql);
      await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    });
  }
  const newest = await db.query<{ v: number }>('SELECT max(version)::int AS v FROM schema_migrations');
  const v = newest.rows[0]?.v ?? 0;
  if (v > latestSchemaVersion()) {
    throw new AppError(
      'unavailable',
      `the database has schema version ${v}, newer than this Firebreak (${latestSchemaVersion()}); upgrade Firebreak`,
    );
  }
  return applied;
}
