/**
 * Taking a backup: one consistent snapshot of every table (store/backup-dump.ts)
 * written as a gzip-compressed tar (archive.ts) with the manifest last.
 * `createBackup` writes a file atomically (`FILE.partial`, fsync, rename;
 * mode 0600: it holds token hashes and the audit log).
 */
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { dumpDatabase, hasFirebreakSchema } from '../../store/backup-dump.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, MANIFEST_FILE, type BackupManifest } from '../../domain/backup-manifest.ts';
import { VERSION } from '../../version.ts';
import type { Actor } from '../core/context.ts';
import type { Config } from '../../config.ts';
import { authorize } from '../access/authorize.ts';
import { createArchiveWriter, gzipHeaderHex } from './archive.ts';
import { backupFileName, backupsDir } from './backup-files.ts';

export type ProgressFn = (done: number, total: number, what: string) => void;

/** Streams a backup of `db` into `out` (ended when done); returns its manifest. */
export async function writeBackup(db: Db, out: Writable, opts: { now: Date; onProgress?: ProgressFn }): Promise<BackupManifest> {
  const writer = createArchiveWriter(out, opts.now.getTime());
  const dump = await dumpDatabase(db, { part: (file, data) => writer.add(file, data), onProgress: opts.onProgress });
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    created_at: opts.now.toISOString(),
    firebreak_version: VERSION,
    source: db.kind,
    schema_version: dump.migrations.length ? Math.max(...dump.migrations) : 0,
    migrations: dump.migrations,
    gzip_header: gzipHeaderHex(),
    tables: dump.tables,
    sequences: dump.sequences,
    total_rows: dump.total_rows,
  };
  await writer.add(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
  await writer.finish();
  return manifest;
}

export interface BackupResult {
  file: string;
  path: string;
  bytes: number;
  created_at: string;
  schema_version: number;
  total_rows: number;
  tables: { name: string; rows: number }[];
}

export interface CreateBackupOptions {
  /** Where to write; default `<data_dir>/backups/<name>`. */
  output?: string;
  /** File name prefix in the backups directory (safety backups use their own). */
  prefix?: string;
  onProgress?: ProgressFn;
  /** Audit action (`backup.create`, `backup.export`, `backup.safety`). */
  auditAction?: string;
}

/** Takes a backup into a file (admin). The audit record is written first, so the backup contains it. */
export async function createBackup(
  deps: { db: Db; clock: () => Date; config: Pick<Config, 'data_dir'> },
  actor: Actor,
  opts: CreateBackupOptions = {},
): Promise<BackupResult> {
  authorize(actor, 'admin');
  const now = deps.clock();
  const target = path.resolve(opts.output ?? path.join(backupsDir(deps.config), backupFileName(now, opts.prefix)));
  if (!(await hasFirebreakSchema(deps.db)))
    throw new AppError('not_found', 'this database has no Firebreak schema (no schema_migrations table): nothing to back up');
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  await writeAudit(deps.db, {
    at: now,
    actor: actor.id,
    action: opts.auditAction ?? 'backup.create',
    target: path.basename(target),
    ip: actor.ip,
  });
  const partial = `${target}.partial`;
  try {
    const out = createWriteStream(partial, { mode: 0o600 });
    const manifest = await writeBackup(deps.db, out, { now, onProgress: opts.onProgress });
    const fh = await open(partial, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(partial, target);
    const { size } = await stat(target);
    return {
      file: path.basename(target),
      path: target,
      bytes: size,
      created_at: manifest.created_at,
      schema_version: manifest.schema_version,
      total_rows: manifest.total_rows,
      tables: manifest.tables.map((t) => ({ name: t.name, rows: t.rows })),
    };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err instanceof AppError ? err : new AppError('internal', `backup to ${target} failed: ${(err as Error).message}`, { cause: err });
  }
}
