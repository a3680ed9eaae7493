/**
 * One configured log source (config `sources[]`, docs/log-sources.md) → a
 * followed file or the followed journal, behind the same interface.
 */
import type { Logger } from 'pino';
import type { SourceConfig } from '../config.ts';
import type { Db } from '../store/db.ts';
import { createFileSource, type FileSource } from './file-source.ts';
import { createJournaldSource } from './journald-source.ts';
import type { Pipeline } from './pipeline.ts';

export function createLogSource(opts: { cfg: SourceConfig; db: Db; pipeline: Pipeline; logger: Logger; clock?: () => Date }): FileSource {
  const { cfg, db, pipeline, logger } = opts;
  if (cfg.type === 'journald') {
    return createJournaldSource({
      cfg: { name: cfg.name, units: cfg.units, mode: cfg.mode, journalctl: cfg.journalctl },
      db,
      pipeline,
      logger,
    });
  }
  return createFileSource({
    cfg: {
      name: cfg.name,
      path: cfg.path,
      format: cfg.format,
      year: cfg.year,
      timeZone: cfg.time_zone,
      mode: cfg.mode,
      logFormat: cfg.log_format,
      trustedProxies: cfg.trusted_proxies,
    },
    db,
    pipeline,
    logger,
    clock: opts.clock,
  });
}
