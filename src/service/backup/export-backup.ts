import { createReadStream, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../../store/db.ts';
import type { Config } from '../../config.ts';
import type { Actor } from '../core/context.ts';
import { createBackup } from './create-backup.ts';
import { backupFileName, backupsDir } from './backup-files.ts';

export interface BackupDownload {
  stream: Readable;
  /** The name to save it under. */
  file: string;
  bytes: number;
  rows: number;
}

/**
 * A backup to hand to a client (GET /api/v1/backups/export). It is written to
 * a temporary file first, so the snapshot transaction never waits on a slow
 * client (with the embedded database it holds the only session); the file is
 * unlinked as soon as it is open, so nothing is left behind whatever happens
 * to the download.
 */
export async function exportBackup(
  deps: { db: Db; clock: () => Date; config: Pick<Config, 'data_dir'> },
  actor: Actor,
): Promise<BackupDownload> {
  const tmp = path.join(backupsDir(deps.config), `.export-${randomBytes(6).toString('hex')}.tar.gz`);
  const b = await createBackup(deps, actor, { output: tmp, auditAction: 'backup.export' });
  const stream = createReadStream(b.path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).finally(() => rmSync(b.path, { force: true }));
  return { stream, file: backupFileName(new Date(b.created_at)), bytes: b.bytes, rows: b.total_rows };
}
