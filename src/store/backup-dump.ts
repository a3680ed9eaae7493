/**
 * The SQL side of a backup: one consistent snapshot of every table of the
 * current schema (discovered from the catalog, none skipped), as NDJSON rows.
 *
 * Consistency: one REPEATABLE READ, READ ONLY transaction on a server (every
 * query sees the same snapshot); PGlite has a single session, so nothing else
 * runs meanwhile anyway. Exactness: each row is `row_to_json` text produced by
 * PostgreSQL with fixed session settings (UTC, ISO dates, shortest exact
 * floats, hex bytea), and restored through `json_populate_recordset`, which
 * reads every value back with its type's own input function, so a restore
 * gives the same rows, byte for byte, without the values passing through
 * JavaScript numbers. Rows are ordered by primary key (or by their text when
 * a table has none), so the same data always gives the same parts.
 *
 * Secrets are excluded, not encrypted: the settings rows in SECRET_SETTINGS
 * (the key that signs acknowledgement links) never leave the database. A
 * restored database makes a new one at its first start, so links in
 * notifications sent before the backup stop working (acknowledge in the
 * dashboard instead); whoever reads a backup cannot forge links.
 */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.ts';
import { partFileName, type BackupTable } from '../domain/backup-manifest.ts';

export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** Settings that hold secrets: never written to a backup (see the module comment). */
export const SECRET_SETTINGS: readonly string[] = ['ack_link_secret'];

/** Rows a backup leaves out, per table, as a SQL condition on the row. */
function rowFilter(table: string): string {
  // Dashboard sessions are not data worth restoring: a restored database starts with everyone signed out.
  if (table === 'dashboard_sessions') return 'WHERE false';
  return table === 'settings' ? `WHERE key NOT IN (${SECRET_SETTINGS.map((k) => `'${k}'`).join(', ')})` : '';
}

/** Session settings that fix the text form of every value (also used by restore). */
export async function fixTextFormats(q: Queryable): Promise<void> {
  for (const s of [
    `SET LOCAL TimeZone = 'UTC'`,
    `SET LOCAL DateStyle = 'ISO, YMD'`,
    `SET LOCAL IntervalStyle = 'postgres'`,
    `SET LOCAL extra_float_digits = 1`,
    `SET LOCAL bytea_output = 'hex'`,
  ])
    await q.query(s);
}

interface TableInfo {
  name: string;
  columns: string[];
  pk: string[];
}

/** Base tables of the current schema (partitions are read through their parent), referenced tables first. */
export async function listTables(q: Queryable): Promise<TableInfo[]> {
  const t = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
  );
  const fk = await q.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace AND k.conrelid <> k.confrelid`,
  );
  const cols = await q.query<{ tbl: string; col: string; pk: boolean }>(
    `SELECT c.relname AS tbl, a.attname AS col, coalesce(a.attnum = ANY(i.indkey::int2[]), false) AS pk
     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     ORDER BY c.relname, a.attnum`,
  );
  const pkOrder = await q.query<{ tbl: string; col: string }>(
    `SELECT c.relname AS tbl, a.attname AS col FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname, k.ord`,
  );
  const info = new Map<string, TableInfo>(t.rows.map((r) => [r.name, { name: r.name, columns: [], pk: [] }]));
  for (const c of cols.rows) info.get(c.tbl)?.columns.push(c.col);
  for (const c of pkOrder.rows) info.get(c.tbl)?.pk.push(c.col);
  // Kahn's algorithm, ties by name: a table comes after every table it references.
  const parents = new Map<string, Set<string>>([...info.keys()].map((n) => [n, new Set<string>()]));
  for (const e of fk.rows) if (info.has(e.child) && info.has(e.parent)) parents.get(e.child)!.add(e.parent);
  const order: TableInfo[] = [];
  const done = new Set<string>();
  while (done.size < info.size) {
    const ready = [...info.keys()].filter((n) => !done.has(n) && [...parents.get(n)!].every((p) => done.has(p)));
    // A reference cycle (none in Firebreak's schema): fall back to name order for the rest.
    const next = ready.length ? ready : [...info.keys()].filter((n) => !done.has(n));
    for (const n of next.sort()) {
      done.add(n);
      order.push(info.get(n)!);
    }
  }
  return order;
}

/** Whether this database holds a Firebreak schema (migrations were applied to it). */
export async function hasFirebreakSchema(q: Queryable): Promise<boolean> {
  const r = await q.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  return r.rows[0]?.t != null;
}

/** Row counts of every table but schema_migrations (what "empty" means for a restore target). */
export async function countRows(q: Queryable): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await listTables(q)) {
    if (t.name === 'schema_migrations') continue;
    const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(t.name)} ${rowFilter(t.name)}`);
    out[t.name] = r.rows[0]!.n;
  }
  return out;
}

export interface DumpResult {
  tables: BackupTable[];
  sequences: { name: string; last_value: string; is_called: boolean }[];
  migrations: number[];
  total_rows: number;
}

export interface DumpOptions {
  /** Receives each part (NDJSON, every row ends with "\n") in restore order. */
  part(file: string, data: Buffer): Promise<void>;
  /** A part is cut once it reaches this many bytes (default 8 MiB). */
  partBytes?: number;
  onProgress?(rowsDone: number, rowsTotal: number, table: string): void;
}

/** Reads the whole database in one snapshot and hands it out part by part. */
export async function dumpDatabase(db: Db, opts: DumpOptions): Promise<DumpResult> {
  const partBytes = opts.partBytes ?? 8 * 1024 * 1024;
  return db.tx(async (q) => {
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await fixTextFormats(q);
    const tables = await listTables(q);
    const counts = await countRows(q);
    const hasMigrations = tables.some((t) => t.name === 'schema_migrations');
    const migrations = hasMigrations
      ? (await q.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`)).rows.map((r) => Number(r.version))
      : [];
    if (hasMigrations) counts.schema_migrations = migrations.length;
    const rowsTotal = Object.values(counts).reduce((a, b) => a + b, 0);
    const seqNames = await q.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S' ORDER BY relname`,
    );
    const sequences: DumpResult['sequences'] = [];
    for (const s of seqNames.rows) {
      const r = await q.query<{ last_value: string; is_called: boolean }>(
        `SELECT last_value::text AS last_value, is_called FROM ${ident(s.name)}`,
      );
      sequences.push({ name: s.name, last_value: r.rows[0]!.last_value, is_called: r.rows[0]!.is_called });
    }

    const out: BackupTable[] = [];
    let seq = 0;
    let done = 0;
    for (const t of tables) {
      const entry: BackupTable = { name: t.name, columns: t.columns, rows: 0, parts: [] };
      out.push(entry);
      const order = t.pk.length ? t.pk.map((c) => `x.${ident(c)}`).join(', ') : 'x::text';
      await q.query(
        `DECLARE firebreak_backup NO SCROLL CURSOR FOR SELECT row_to_json(x)::text AS j FROM (SELECT ${t.columns.map(ident).join(', ')} FROM ${ident(t.name)} ${rowFilter(t.name)}) x ORDER BY ${order}`,
      );
      let lines: string[] = [];
      let bytes = 0;
      const flush = async () => {
        if (lines.length === 0 && entry.parts.length > 0) return;
        const data = Buffer.from(lines.length ? lines.join('\n') + '\n' : '', 'utf8');
        const file = partFileName(++seq, t.name.replace(/[^A-Za-z0-9_]/g, '_'));
        entry.parts.push({ file, rows: lines.length, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
        await opts.part(file, data);
        lines = [];
        bytes = 0;
      };
      for (;;) {
        const r = await q.query<{ j: string }>(`FETCH 2000 FROM firebreak_backup`);
        for (const row of r.rows) {
          lines.push(row.j);
          bytes += Buffer.byteLength(row.j) + 1;
          entry.rows++;
          if (bytes >= partBytes) await flush();
        }
        done += r.rows.length;
        opts.onProgress?.(done, rowsTotal, t.name);
        if (r.rows.length < 2000) break;
      }
      await q.query(`CLOSE firebreak_backup`);
      await flush(); // every table has at least one part, possibly empty
    }
    return { tables: out, sequences, migrations, total_rows: out.reduce((n, t) => n + t.rows, 0) };
  });
}
