/**
 * For commands that work without a running server: open the configured
 * database directly (embedded or server), migrate, and act as the local
 * operator. The embedded data directory lock gives a clear error when a
 * server holds it.
 */
import { loadConfig } from '../config.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { createBus, type Actor, type Deps } from '../service/core/context.ts';
import { createLogger } from '../main.ts';
import { AppError } from '../errors.ts';

export const LOCAL_OPERATOR: Actor = Object.freeze({ id: 'cli:local', name: 'local-cli', role: 'system' });

export async function withLocalDeps<T>(
  opts: { config?: string; dataDir?: string; env: Record<string, string | undefined> },
  fn: (deps: Deps) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: opts.config, env: opts.env, overrides: { data_dir: opts.dataDir } });
  let db;
  try {
    db = await openDb({ databaseUrl: config.database_url, dataDir: config.data_dir, max: 2 });
  } catch (err) {
    if (err instanceof AppError && /in use by another Firebreak process/.test(err.message)) {
      throw new AppError('unavailable', `${err.message}`);
    }
    throw err;
  }
  try {
    await migrate(db);
    const logger = createLogger({ log_level: 'warn' });
    return await fn({ db, config, clock: () => new Date(), logger, bus: createBus(logger) });
  } finally {
    await db.close();
  }
}
