import type { Command } from 'commander';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CliIo } from './io.ts';
import { LOCAL_OPERATOR } from './local-deps.ts';
import { createRawApi } from './api-raw.ts';
import { createProgress, formatBytes } from './progress.ts';
import { renderTable, shortTime } from './table.ts';
import { loadConfig, type Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { openDb, redactUrl, type Db } from '../store/db.ts';
import { createBackup } from '../service/backup/create-backup.ts';
import { verifyBackupFile } from '../service/backup/verify-backup.ts';
import { restoreBackup } from '../service/backup/restore-backup.ts';
import { listBackups } from '../service/backup/list-backups.ts';
import { backupFileName, backupsDir } from '../service/backup/backup-files.ts';

interface Common {
  config?: string;
  dataDir?: string;
}

const isLockError = (err: unknown) => err instanceof AppError && /in use by another Firebreak process/.test(err.message);

/** Opens the configured database directly (no migration: a backup takes it as it is; a restore rebuilds it). */
async function openDirect(config: Config): Promise<Db> {
  return openDb({ databaseUrl: config.database_url, dataDir: config.data_dir, max: 2 });
}

/** Downloads a fresh backup from a running server, verifies it, and moves it into place. */
async function backupThroughApi(io: CliIo, url: string, token: string, config: Config, output?: string): Promise<string> {
  const api = createRawApi(url, token);
  const res = await api.fetch('GET', '/api/v1/backups/export', { timeoutMs: 6 * 3_600_000 });
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? backupFileName(new Date());
  const target = path.resolve(output ?? path.join(backupsDir(config), path.basename(name)));
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const partial = `${target}.partial`;
  const total = Number(res.headers.get('content-length') ?? 0);
  const progress = createProgress(io, 'download', 'bytes');
  let got = 0;
  try {
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        got += chunk.length;
        progress.update(got, total);
        cb(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      count,
      createWriteStream(partial, { mode: 0o600 }),
    );
    progress.stop();
    await verifyBackupFile(partial);
    renameSync(partial, target);
    return target;
  } catch (err) {
    progress.stop();
    rmSync(partial, { force: true });
    throw err instanceof AppError
      ? err
      : new AppError('unavailable', `the download from ${url} failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * `firebreak backup create|list|verify|restore`. See README "Backup and
 * restore" for the format and the rules (restore needs the server stopped).
 */
export function registerBackupCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('backup')
    .description('back up, verify and restore the whole Firebreak database (consistent snapshot, checksummed .tar.gz)')
    .addHelpText(
      'after',
      `
Backups go to <data_dir>/backups/ unless --output says otherwise. "create"
works with the server stopped (it opens the database directly) and while it
runs (through GET /api/v1/backups/export with FIREBREAK_URL/FIREBREAK_TOKEN, or
the token in <data_dir>/admin-token). "restore" needs the server stopped.

Examples:
  firebreak backup create
  firebreak backup list
  firebreak backup verify data/backups/firebreak-backup-2026-03-02T08-00-00-000Z.tar.gz
  firebreak backup restore --backup-path data/backups/firebreak-backup-2026-03-02T08-00-00-000Z.tar.gz --force`,
    );
  const common = (c: Command) =>
    c
      .option('-c, --config <file>', 'configuration file (env FIREBREAK_CONFIG)')
      .option('--data-dir <dir>', 'data directory (env FIREBREAK_DATA_DIR)');
  const config = (o: Common) => loadConfig({ file: o.config, env: io.env, overrides: { data_dir: o.dataDir } });

  common(cmd.command('create').description('take a backup; prints its path alone on the last line'))
    .option('-o, --output <file>', 'where to write it (default <data_dir>/backups/firebreak-backup-<time>.tar.gz)')
    .action(async (o: Common & { output?: string }) => {
      const cfg = config(o);
      const env = io.env;
      const viaApi = !cfg.database_url && env.FIREBREAK_URL && env.FIREBREAK_TOKEN;
      let file: string;
      if (viaApi) file = await backupThroughApi(io, env.FIREBREAK_URL!, env.FIREBREAK_TOKEN!, cfg, o.output);
      else {
        // db.ts keeps the embedded database in <data_dir>/pg; opening a missing one would create an empty one.
        if (!cfg.database_url && !existsSync(path.join(cfg.data_dir, 'pg')))
          throw new AppError(
            'not_found',
            `there is no Firebreak database in ${cfg.data_dir}: set --data-dir, FIREBREAK_DATA_DIR or DATABASE_URL`,
          );
        let db: Db | null = null;
        try {
          db = await openDirect(cfg);
        } catch (err) {
          if (!isLockError(err)) throw err;
          // A server holds the embedded database: ask it for the backup instead.
          const tokenFile = path.join(cfg.data_dir, 'admin-token');
          const token = env.FIREBREAK_TOKEN || (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '');
          if (!token)
            throw new AppError(
              'unavailable',
              `${(err as Error).message} Set FIREBREAK_TOKEN (an admin token) to back up through the running server.`,
            );
          const url =
            env.FIREBREAK_URL || `http://${['0.0.0.0', '::'].includes(cfg.server.host) ? '127.0.0.1' : cfg.server.host}:${cfg.server.port}`;
          io.stderr.write(`a server is running on ${cfg.data_dir}: backing up through its API at ${url}\n`);
          file = await backupThroughApi(io, url, token, cfg, o.output);
        }
        if (db) {
          const progress = createProgress(io, 'backup', 'rows');
          try {
            const b = await createBackup({ db, config: cfg, clock: () => new Date() }, LOCAL_OPERATOR, {
              output: o.output,
              onProgress: (d, t, label) => progress.update(d, t, label),
            });
            file = b.path;
          } finally {
            progress.stop();
            await db.close();
          }
        }
      }
      const v = await verifyBackupFile(file!);
      io.stdout.write(
        `backup of ${v.manifest.tables.length} tables, ${v.manifest.total_rows} rows (schema version ${v.manifest.schema_version}, ${v.manifest.source}), ${formatBytes(v.bytes)}:\n${file!}\n`,
      );
    });

  common(cmd.command('list').description('list the backups in <data_dir>/backups/'))
    .option('--json', 'print JSON')
    .action(async (o: Common & { json?: boolean }) => {
      const r = listBackups({ config: config(o) }, LOCAL_OPERATOR);
      if (o.json) return void io.stdout.write(JSON.stringify({ items: r.items, next_cursor: null }) + '\n');
      if (r.items.length === 0) return void io.stdout.write(`no backups in ${r.dir}\n`);
      io.stdout.write(
        renderTable(
          ['FILE', 'SIZE', 'WRITTEN', 'PATH'],
          r.items.map((b) => [b.file, formatBytes(b.bytes), shortTime(b.modified_at), b.path]),
        ),
      );
    });

  cmd
    .command('verify')
    .description('check a backup completely (checksums, structure, completeness); exit 1 if anything is wrong')
    .argument('<file>', 'the backup file')
    .option('--json', 'print the manifest as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const progress = createProgress(io, 'verify', 'bytes');
      let v;
      try {
        v = await verifyBackupFile(file, (d, t) => progress.update(d, t));
      } finally {
        progress.stop();
      }
      const m = v.manifest;
      if (o.json) return void io.stdout.write(JSON.stringify(m) + '\n');
      io.stdout.write(
        `OK ${file}\n  taken ${m.created_at} by Firebreak ${m.firebreak_version} (${m.source}), schema version ${m.schema_version}\n  ${m.tables.length} tables, ${m.total_rows} rows in ${v.parts} parts, ${formatBytes(v.bytes)}; every checksum matches\n`,
      );
    });

  common(
    cmd
      .command('restore')
      .description('restore a backup (server stopped); refuses a damaged backup or a non-empty database without --force'),
  )
    .requiredOption('--backup-path <file>', 'the backup file')
    .option('--force', 'replace a database that has data (a safety backup of it is taken first)')
    .action(async (o: Common & { backupPath: string; force?: boolean }) => {
      const cfg = config(o);
      // Verify before opening the database: a damaged file is refused without touching anything.
      const verifying = createProgress(io, 'verify', 'bytes');
      let verified;
      try {
        verified = await verifyBackupFile(o.backupPath, (d, t) => verifying.update(d, t));
      } finally {
        verifying.stop();
      }
      let db: Db;
      try {
        db = await openDirect(cfg);
      } catch (err) {
        if (isLockError(err))
          throw new AppError(
            'unavailable',
            `stop the server before restoring (a restore replaces the whole database): ${(err as Error).message}`,
            { cause: err },
          );
        throw err;
      }
      if (cfg.database_url)
        io.stderr.write(`restoring into ${redactUrl(cfg.database_url)}: no Firebreak server may use this database meanwhile\n`);
      const progress = createProgress(io, 'restore', 'rows');
      try {
        const r = await restoreBackup({ db, config: cfg, clock: () => new Date() }, LOCAL_OPERATOR, {
          file: o.backupPath,
          force: o.force,
          verified,
          onProgress: (d, t, label) => progress.update(d, t, label),
          onSafetyBackup: (b) => io.stdout.write(`safety backup of the replaced database: ${b.path}\n`),
        });
        progress.stop();
        io.stdout.write(
          `restored ${r.total_rows} rows in ${r.tables} tables from ${o.backupPath} (taken ${r.created_at}, schema version ${r.schema_version})${r.upgraded.length ? `; then applied migrations ${r.upgraded.join(', ')}` : ''}\n`,
        );
      } finally {
        progress.stop();
        await db.close();
      }
    });
}
