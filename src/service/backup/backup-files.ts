/** Where backups live (`<data_dir>/backups/`), how they are named, and listing them. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.ts';

export const BACKUP_SUFFIX = '.tar.gz';

export function backupsDir(config: Pick<Config, 'data_dir'>): string {
  return path.join(config.data_dir, 'backups');
}

/** `firebreak-backup-2026-03-02T08-00-00-000Z.tar.gz` (sorts by time; `prefix` for safety backups). */
export function backupFileName(at: Date, prefix = 'firebreak-backup'): string {
  return `${prefix}-${at.toISOString().replace(/[:.]/g, '-')}${BACKUP_SUFFIX}`;
}

export interface BackupFileInfo {
  file: string;
  path: string;
  bytes: number;
  modified_at: string;
}

/** Finished backups in the directory, oldest first (partial files and temporary exports are left out). */
export function listBackupFiles(dir: string): BackupFileInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith('firebreak-') && n.endsWith(BACKUP_SUFFIX))
    .sort()
    .map((file) => {
      const p = path.join(dir, file);
      const st = statSync(p);
      return { file, path: p, bytes: st.size, modified_at: st.mtime.toISOString() };
    });
}
