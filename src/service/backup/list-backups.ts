import type { Config } from '../../config.ts';
import type { Actor } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { backupsDir, listBackupFiles, type BackupFileInfo } from './backup-files.ts';

/** The backups in `<data_dir>/backups/`, oldest first (admin: they hold token hashes and the audit log). */
export function listBackups(deps: { config: Pick<Config, 'data_dir'> }, actor: Actor): { dir: string; items: BackupFileInfo[] } {
  authorize(actor, 'admin');
  const dir = backupsDir(deps.config);
  return { dir, items: listBackupFiles(dir) };
}
