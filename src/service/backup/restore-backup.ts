/**
 * Restoring a backup into the configured database.
 *
 * 1. Verify the whole file first (verify-backup.ts): a damaged or truncated
 *    backup is refused before anything is touched.
 * 2. Refuse a backup from a newer schema (or with a migration this build does
 *    not know): upgrade Firebreak first.
 * 3. The target must be empty (no rows in any table but schema_migrations),
 *    unless `force`: then a safety backup of the current content is taken
 *    first (its path is reported before the restore starts).
 * 4. Load in ONE transaction (store/backup-load.ts): schema as the backup had
 *    it, rows, counts checked, newer migrations applied, sequences reset. Any
 *    failure rolls everything back; each part's checksum is checked again as it
 *    is loaded, and a stream error at the end (gzip CRC) also rolls back.
 *
 * The server must be stopped: with the embedded database, opening the data
 * directory for the restore fails while a server holds it; with a PostgreSQL
 * server, a running Firebreak would write into a database being replaced.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { countRows } from '../../store/backup-dump.ts';
import { loadDatabase } from '../../store/backup-load.ts';
import { latestSchemaVersion, listMigrations } from '../../store/migrate.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Config } from '../../config.ts';
import type { Actor } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { readArchive } from './archive.ts';
import { verifyBackupFile, type VerifiedBackup } from './verify-backup.ts';
import { createBackup, type BackupResult, type ProgressFn } from './create-backup.ts';

export interface RestoreOptions {
  file: string;
  force?: boolean;
  /** Rows loaded so far. */
  onProgress?: ProgressFn;
  /** Bytes read by the verification pass. */
  onVerifyProgress?: ProgressFn;
  /** Called once the safety backup (with `force` on a non-empty database) is written, before the restore starts. */
  onSafetyBackup?(b: BackupResult): void;
  /** Called after verification, before anything changes. */
  onVerified?(rows: number): void;
  /**
   * The result of verifying this file already (the CLI checks before it opens
   * the database). The load re-checks every part's SHA-256 and the gzip CRC,
   * so a file changed in between still cannot slip through.
   */
  verified?: VerifiedBackup;
}

export interface RestoreResult {
  file: string;
  created_at: string;
  schema_version: number;
  total_rows: number;
  tables: number;
  /** Migrations of this build applied on top of the backup's schema. */
  upgraded: number[];
  safety_backup: string | null;
}

export async function restoreBackup(
  deps: { db: Db; config: Pick<Config, 'data_dir'>; clock: () => Date },
  actor: Actor,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  authorize(actor, 'admin');
  const verified = opts.verified ?? (await verifyBackupFile(opts.file, opts.onVerifyProgress));
  const m = verified.manifest;
  const known = new Set(listMigrations().map((x) => x.version));
  if (m.schema_version > latestSchemaVersion()) {
    throw new AppError(
      'conflict',
      `backup ${opts.file} has schema version ${m.schema_version}, newer than this Firebreak (${latestSchemaVersion()}): upgrade Firebreak, then restore. Nothing was changed.`,
    );
  }
  const unknown = m.migrations.filter((v) => !known.has(v));
  if (unknown.length)
    throw new AppError(
      'conflict',
      `backup ${opts.file} was made with migrations this Firebreak does not have (${unknown.join(', ')}): restore it with the Firebreak it came from. Nothing was changed.`,
    );
  opts.onVerified?.(m.total_rows);

  const counts = await countRows(deps.db);
  const filled = Object.entries(counts).filter(([, n]) => n > 0);
  let safety: BackupResult | null = null;
  if (filled.length > 0) {
    if (!opts.force) {
      const what = filled
        .slice(0, 5)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ');
      throw new AppError(
        'conflict',
        `the database is not empty (${what}${filled.length > 5 ? ', …' : ''}); restore into an empty database, or use --force to replace it (a safety backup is taken first). Nothing was changed.`,
      );
    }
    safety = await createBackup(deps, actor, { prefix: 'firebreak-pre-restore', auditAction: 'backup.safety' });
    opts.onSafetyBackup?.(safety);
  }

  const load = loadDatabase(deps.db, {
    manifest: m,
    entries: readArchive(createReadStream(opts.file)),
    onProgress: opts.onProgress,
    finish: (q) =>
      writeAudit(q, {
        at: deps.clock(),
        actor: actor.id,
        action: 'backup.restore',
        target: path.basename(opts.file),
        ip: actor.ip,
        details: {
          created_at: m.created_at,
          schema_version: m.schema_version,
          rows: m.total_rows,
          ...(safety ? { safety_backup: safety.file } : {}),
        },
      }),
  });
  let upgraded: number[];
  try {
    ({ upgraded } = await load);
  } catch (err) {
    const e = err instanceof AppError ? err : new AppError('internal', (err as Error).message, { cause: err });
    throw new AppError(e.code, `restore of ${opts.file} failed and was rolled back, the database is as it was: ${e.message}`, {
      cause: err,
      details: e.details,
    });
  }
  return {
    file: opts.file,
    created_at: m.created_at,
    schema_version: m.schema_version,
    total_rows: m.total_rows,
    tables: m.tables.length,
    upgraded,
    safety_backup: safety?.path ?? null,
  };
}
