/**
 * Test support: fresh databases for store and HTTP tests, on both storage
 * modes. Embedded: a migrated PGlite data directory is made once per set of
 * migrations and copied for each test (initdb takes seconds). Server: a new
 * database on TEST_DATABASE_URL per test, dropped afterwards.
 *
 * Used only by tests; lives here because it knows the store's internals.
 */
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDb, type Db } from './db.ts';
import { listMigrations, migrate } from './migrate.ts';

export type Backend = 'embedded' | 'server';

/** The backends to run store tests on: always embedded; the server when TEST_DATABASE_URL is set. */
export function testBackends(env: Record<string, string | undefined> = process.env): Backend[] {
  return env.TEST_DATABASE_URL ? ['embedded', 'server'] : ['embedded'];
}

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const m of listMigrations()) h.update(m.name).update(m.sql);
  return h.digest('hex').slice(0, 12);
}

async function embeddedTemplate(): Promise<string> {
  const dir = path.join(tmpdir(), `firebreak-test-template-${migrationsHash()}`);
  if (existsSync(path.join(dir, 'READY'))) return dir;
  const staging = mkdtempSync(path.join(tmpdir(), 'firebreak-template-staging-'));
  const db = await openDb({ dataDir: staging });
  await migrate(db);
  await db.close();
  mkdirSync(path.join(staging, 'READY'));
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process won the race
  }
  return dir;
}

export interface TestDatabase {
  backend: Backend;
  /** For embedded: the data directory; for server: the database URL. */
  dataDir: string;
  databaseUrl?: string;
  open(): Promise<Db>;
  /** Removes the database (drop or delete the directory). */
  destroy(): Promise<void>;
}

/** Creates an empty, migrated database of the given backend. */
export async function createTestDatabase(backend: Backend, env: Record<string, string | undefined> = process.env): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-test-'));
  if (backend === 'embedded') {
    const template = await embeddedTemplate();
    cpSync(template, dataDir, { recursive: true });
    rmSync(path.join(dataDir, 'READY'), { recursive: true, force: true });
    return {
      backend,
      dataDir,
      open: () => openDb({ dataDir }),
      destroy: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const base = env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set: the server-backed tests need a PostgreSQL server');
  const name = `firebreak_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const databaseUrl = u.toString();
  return {
    backend,
    dataDir,
    databaseUrl,
    open: () => openDb({ databaseUrl, dataDir }),
    destroy: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
