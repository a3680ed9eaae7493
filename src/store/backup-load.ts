/**
 * The SQL side of a restore, all in ONE transaction (all or nothing): drop
 * everything in the current schema, build the schema the backup was taken
 * with (exactly its migrations), load every table's rows in the backup's
 * order, check the counts, bring the schema up to this build's migrations,
 * and set every sequence past the ids in use. The caller verifies the archive
 * first and checks each part's checksum before handing it over.
 */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.ts';
import { AppError } from '../errors.ts';
import { listMigrations } from './migrate.ts';
import { fixTextFormats, ident, countRows } from './backup-dump.ts';
import type { BackupManifest, BackupTable } from '../domain/backup-manifest.ts';

/** Same lock as migrate.ts: no migration runs while the schema is rebuilt. */
const MIGRATION_LOCK_ID = 774_001;
const BATCH_ROWS = 1000;
const BATCH_BYTES = 4 * 1024 * 1024;

/** Drops the current schema's objects (tables with their indexes and sequences, views, routines, types); leaves extensions alone. */
async function dropSchemaObjects(q: Queryable): Promise<void> {
  const notExt = (cls: string, col = 'oid') =>
    `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${cls}'::regclass AND d.objid = x.${col} AND d.deptype = 'e')`;
  const views = await q.query<{ name: string; kind: string }>(
    `SELECT relname AS name, relkind AS kind FROM pg_class x WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('v', 'm') AND ${notExt('pg_class')}`,
  );
  for (const v of views.rows) await q.query(`DROP ${v.kind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW'} IF EXISTS ${ident(v.name)} CASCADE`);
  const tables = await q.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class x WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND ${notExt('pg_class')}`,
  );
  for (const t of tables.rows) await q.query(`DROP TABLE IF EXISTS ${ident(t.name)} CASCADE`);
  const seqs = await q.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class x WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S' AND ${notExt('pg_class')}`,
  );
  for (const s of seqs.rows) await q.query(`DROP SEQUENCE IF EXISTS ${ident(s.name)} CASCADE`);
  const routines = await q.query<{ sig: string }>(
    `SELECT x.oid::regprocedure::text AS sig FROM pg_proc x WHERE pronamespace = current_schema()::regnamespace AND ${notExt('pg_proc')}`,
  );
  for (const r of routines.rows) await q.query(`DROP ROUTINE IF EXISTS ${r.sig} CASCADE`);
  const types = await q.query<{ name: string; kind: string }>(
    `SELECT typname AS name, typtype AS kind FROM pg_type x WHERE typnamespace = current_schema()::regnamespace AND typtype IN ('e', 'd', 'r', 'c') AND (typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = x.typrelid) = 'c') AND ${notExt('pg_type')}`,
  );
  for (const t of types.rows) await q.query(`DROP ${t.kind === 'd' ? 'DOMAIN' : 'TYPE'} IF EXISTS ${ident(t.name)} CASCADE`);
}

/** Sets each sequence to the larger of its backed-up position and the largest id of the columns that draw from it. */
async function resetSequences(q: Queryable, saved: BackupManifest['sequences']): Promise<void> {
  const seqs = await q.query<{ oid: string; name: string }>(
    `SELECT oid::text AS oid, relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S'`,
  );
  for (const s of seqs.rows) {
    // Columns whose default calls nextval() on it, and serial/identity columns it is owned by.
    const users = await q.query<{ tbl: string; col: string }>(
      `SELECT c.relname AS tbl, a.attname AS col FROM pg_depend d JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
         JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
       WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1::oid
       UNION
       SELECT c.relname, a.attname FROM pg_depend d JOIN pg_class c ON c.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
       WHERE d.classid = 'pg_class'::regclass AND d.objid = $1::oid AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')`,
      [s.oid],
    );
    let max: bigint | null = null;
    for (const u of users.rows) {
      const r = await q.query<{ m: string | null }>(`SELECT max(${ident(u.col)})::text AS m FROM ${ident(u.tbl)}`);
      const m = r.rows[0]?.m;
      if (m !== null && m !== undefined && /^-?\d+$/.test(m) && (max === null || BigInt(m) > max)) max = BigInt(m);
    }
    const b = saved.find((x) => x.name === s.name);
    const issued = b ? (b.is_called ? BigInt(b.last_value) : BigInt(b.last_value) - 1n) : null;
    const top = [max, issued].filter((v): v is bigint => v !== null).reduce<bigint | null>((a, v) => (a === null || v > a ? v : a), null);
    const min = BigInt(
      (await q.query<{ m: string }>(`SELECT seqmin::text AS m FROM pg_sequence WHERE seqrelid = $1::oid`, [s.oid])).rows[0]!.m,
    );
    if (top !== null && top >= min) await q.query(`SELECT setval($1::regclass, $2::bigint, true)`, [ident(s.name), top.toString()]);
    else await q.query(`SELECT setval($1::regclass, $2::bigint, false)`, [ident(s.name), min.toString()]);
  }
}

export interface LoadOptions {
  manifest: BackupManifest;
  /** The archive's entries (parts, then the manifest), in archive order. */
  entries: AsyncIterable<{ name: string; data: Buffer }>;
  onProgress?(rowsDone: number, rowsTotal: number, table: string): void;
  /** Last writes inside the transaction (the audit record). */
  finish?(q: Queryable): Promise<void>;
}

/** Replaces the database's content with the backup, in one transaction. Returns the migrations applied on top. */
export async function loadDatabase(db: Db, opts: LoadOptions): Promise<{ upgraded: number[] }> {
  const m = opts.manifest;
  const known = new Map(listMigrations().map((x) => [x.version, x]));
  const partOf = new Map<string, { table: BackupTable; sha256: string; rows: number }>();
  for (const t of m.tables) for (const p of t.parts) partOf.set(p.file, { table: t, sha256: p.sha256, rows: p.rows });
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await fixTextFormats(q);
    await dropSchemaObjects(q);
    // As migrate.ts creates it; its rows come from the backup.
    await q.query(
      `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const v of [...m.migrations].sort((a, b) => a - b)) await q.exec(known.get(v)!.sql);

    let done = 0;
    for await (const e of opts.entries) {
      const p = partOf.get(e.name);
      if (!p) continue; // the manifest entry
      if (createHash('sha256').update(e.data).digest('hex') !== p.sha256)
        throw new AppError('conflict', `part ${e.name} changed since it was verified (SHA-256 mismatch); nothing was restored`);
      const lines = e.data.length ? e.data.toString('utf8').replace(/\n$/, '').split('\n') : [];
      const cols = p.table.columns.map(ident).join(', ');
      const sql = `INSERT INTO ${ident(p.table.name)} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM json_populate_recordset(NULL::${ident(p.table.name)}, $1::json)`;
      for (let i = 0; i < lines.length;) {
        let j = i;
        let bytes = 0;
        while (j < lines.length && j - i < BATCH_ROWS && bytes < BATCH_BYTES) bytes += lines[j++]!.length;
        await q.query(sql, [`[${lines.slice(i, j).join(',')}]`]);
        done += j - i;
        i = j;
      }
      opts.onProgress?.(done, m.total_rows, p.table.name);
    }
    const counts = await countRows(q);
    for (const t of m.tables) {
      const n =
        t.name === 'schema_migrations'
          ? Number((await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM schema_migrations`)).rows[0]!.n)
          : counts[t.name];
      if (n !== t.rows)
        throw new AppError('conflict', `table ${t.name} has ${n} rows after loading, the backup lists ${t.rows}; nothing was restored`);
    }
    const upgraded: number[] = [];
    for (const mig of listMigrations()) {
      if (m.migrations.includes(mig.version)) continue;
      await q.exec(mig.sql);
      await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [mig.version, mig.name]);
      upgraded.push(mig.version);
    }
    await resetSequences(q, m.sequences);
    await opts.finish?.(q);
    return { upgraded };
  });
}
