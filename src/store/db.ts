/**
 * Database access: one small interface over the two PostgreSQL drivers.
 * With no DATABASE_URL Firebreak runs an embedded PostgreSQL (PGlite) in
 * `<data_dir>/pg`; with one it uses that server through a `pg` pool. The same
 * SQL (PostgreSQL dialect, `$1` placeholders) runs on both.
 */
import { redactUrl } from '../domain/redact-url.ts';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { AppError } from '../errors.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { loadClusterTemplate } from './pglite-template.ts';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface TxOptions {
  /**
   * `ingest`: the event writer's group commit. On the embedded database (one
   * session) it goes ahead of other work waiting for the session; see EmbeddedDb.
   */
  priority?: 'ingest';
}

export interface Db extends Queryable {
  readonly kind: 'embedded' | 'server';
  /** Runs `fn` in one transaction; rolls back if it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>, opts?: TxOptions): Promise<T>;
  close(): Promise<void>;
}

// int8 (bigint, count(*)) as numbers on the server driver, as PGlite does.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric as numbers (percentiles, averages).
pg.types.setTypeParser(1700, (v) => Number(v));

function wrapDbError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string };
  // Class 08 (connection exceptions), 57P (operator intervention), ECONNREFUSED…
  const unavailable =
    (typeof e.code === 'string' && (/^(08|57P|53)/.test(e.code) || /^E[A-Z]+$/.test(e.code))) ||
    /terminat|connect|closed|ECONN/i.test(e.message ?? '');
  if (e.code === '23505') return new AppError('conflict', e.message ?? 'unique violation', { cause: err });
  return new AppError(unavailable ? 'unavailable' : 'internal', `database: ${e.message ?? String(err)}`, { cause: err });
}

class ServerDb implements Db {
  readonly kind = 'server' as const;
  constructor(private readonly pool: pg.Pool) {}
  async query<T>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    try {
      const r = await this.pool.query(sql, params);
      return { rows: r.rows as T[] };
    } catch (err) {
      throw wrapDbError(err);
    }
  }
  /**
   * Transactions that lose a deadlock or a serialization conflict (SQLSTATE
   * 40P01 / 40001) were rolled back whole by PostgreSQL, so they are run again
   * (a few times, with a short random pause). Transaction bodies do database
   * work only: running one twice after a rollback is safe.
   */
  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.txOnce(fn);
      } catch (err) {
        if (isTransientDbError(err) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
          continue;
        }
        throw err;
      }
    }
  }

  private async txOnce<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw wrapDbError(err);
    }
    // pg-pool removes its own 'error' listener while a client is checked out: a connection that drops
    // mid-transaction (server stopped, network cut) would emit an unhandled 'error' and end the process.
    // The failure reaches the caller through the pending query; the listener only keeps the process up.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    const q: Queryable = {
      query: async <R>(sql: string, params: unknown[] = []) => {
        try {
          return { rows: (await client.query(sql, params)).rows as R[] };
        } catch (err) {
          throw wrapDbError(err);
        }
      },
      exec: async (sql: string) => {
        try {
          await client.query(sql);
        } catch (err) {
          throw wrapDbError(err);
        }
      },
    };
    try {
      await client.query('BEGIN');
      const out = await fn(q);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err instanceof AppError ? err : wrapDbError(err);
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed instead of going back to the pool.
      client.release(broken);
    }
  }
  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (err) {
      throw wrapDbError(err);
    }
  }
  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** How long other work waits at most for queued ingest writes to go first (then it goes anyway: no starvation). */
const INGEST_FIRST_MAX_MS = 50;

/**
 * PGlite runs every statement synchronously on the main thread, one session
 * for the whole process. Two things keep ingestion answering within its
 * deadline while bulk work (a storm's bans, bookkeeping) shares that session:
 * - each statement inside a transaction is followed by one turn of the event
 *   loop, so sockets are read and requests parsed between statements instead
 *   of after a whole transaction of synchronous work;
 * - the event writer's transactions (`priority: 'ingest'`) go first: other
 *   transactions and queries wait while an ingest write is queued (at most
 *   INGEST_FIRST_MAX_MS each), so an accepted request waits for at most the
 *   one transaction already running, not for a queue of them.
 */
class EmbeddedDb implements Db {
  readonly kind = 'embedded' as const;
  /** Ingest transactions asked for and not yet started. */
  private ingestWaiting = 0;
  private ingestGone: (() => void)[] = [];
  constructor(
    private readonly pg: PGlite,
    private readonly lock: DataDirLock,
  ) {}

  /** Resolves once no ingest write is waiting for the session, or after INGEST_FIRST_MAX_MS. */
  private ingestFirst(): Promise<void> | null {
    if (this.ingestWaiting === 0) return null;
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, INGEST_FIRST_MAX_MS);
      this.ingestGone.push(() => (clearTimeout(t), resolve()));
    });
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    const wait = this.ingestFirst();
    if (wait) await wait;
    try {
      const r = await this.pg.query<T>(sql, params);
      return { rows: r.rows };
    } catch (err) {
      throw wrapDbError(err);
    }
  }
  async tx<T>(fn: (q: Queryable) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const ingest = opts.priority === 'ingest';
    if (ingest) this.ingestWaiting++;
    else {
      const wait = this.ingestFirst();
      if (wait) await wait;
    }
    let started = !ingest;
    const start = () => {
      if (started) return;
      started = true;
      if (--this.ingestWaiting === 0) for (const done of this.ingestGone.splice(0)) done();
    };
    try {
      return await this.pg.transaction(async (t) => {
        start();
        return fn({
          query: async <R>(sql: string, params: unknown[] = []) => {
            try {
              const rows = (await t.query<R>(sql, params)).rows;
              if (!ingest) await new Promise((r) => setImmediate(r)); // let I/O in between statements (see above)
              return { rows };
            } catch (err) {
              throw wrapDbError(err);
            }
          },
          exec: async (sql: string) => {
            try {
              await t.exec(sql);
            } catch (err) {
              throw wrapDbError(err);
            }
          },
        });
      });
    } catch (err) {
      throw err instanceof AppError ? err : wrapDbError(err);
    } finally {
      start(); // a transaction that failed to begin no longer waits
    }
  }
  async exec(sql: string): Promise<void> {
    try {
      await this.pg.exec(sql);
    } catch (err) {
      throw wrapDbError(err);
    }
  }
  async close(): Promise<void> {
    try {
      await this.pg.close();
    } finally {
      this.lock.release();
    }
  }
}

export interface OpenDbOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Pool size for the server driver. */
  max?: number;
  /** Embedded: the cluster a new data directory starts from; default the install's template (pglite-template.ts), null for none. */
  clusterTemplate?: Blob | null;
}

/** Opens the database named by the configuration. Does not migrate. */
export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.max ?? 10, connectionTimeoutMillis: 5000 });
    // An idle client whose connection drops emits 'error' on the pool; pg-pool then discards it.
    // Without this listener the process would crash; the next query reports the outage instead.
    pool.on('error', () => {});
    const db = new ServerDb(pool);
    try {
      await db.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => {});
      throw new AppError('unavailable', `cannot connect to PostgreSQL at ${redactUrl(opts.databaseUrl)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return db;
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const lock = acquireDataDirLock(opts.dataDir);
  try {
    const pgDir = path.join(opts.dataDir, 'pg');
    // A new cluster starts from the install's template when there is one (seconds faster than initdb).
    const template = existsSync(pgDir)
      ? undefined
      : opts.clusterTemplate === undefined
        ? loadClusterTemplate()
        : (opts.clusterTemplate ?? undefined);
    let pgl: PGlite;
    try {
      pgl = new PGlite(pgDir, template ? { loadDataDir: template } : {});
      await pgl.waitReady;
    } catch (err) {
      if (!template) throw err;
      rmSync(pgDir, { recursive: true, force: true }); // a bad template: make the cluster the usual way
      pgl = new PGlite(pgDir);
      await pgl.waitReady;
    }
    return new EmbeddedDb(pgl, lock);
  } catch (err) {
    lock.release();
    throw new AppError('unavailable', `cannot open the embedded database in ${opts.dataDir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * True for a deadlock or a serialization conflict (SQLSTATE 40P01 / 40001):
 * the transaction lost a race and may simply be run again.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = err instanceof AppError && err.cause ? (err.cause as { code?: string }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** Hides the password of a connection URL for messages and logs. */
/** The one URL redaction (src/domain/redact-url.ts): credentials and secret parameters become `***`. */
export { redactUrl };
