/**
 * Cluster mode in start-up, in three calls so the composition root stays a
 * few lines (docs/cluster.md):
 *   createClusterPipeline  → the partitioned pipeline when `redis_url` is set, else null
 *                            (then the single-process pipeline is used, untouched);
 *   clusterSourceConfig    → a followed file's position is kept per instance;
 *   wireClusterServices    → health parts, metrics, token revocations across instances.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { PipelineOptions } from '../detect/pipeline.ts';
import type { Registry } from 'prom-client';
import { createPartitionedPipeline, type PartitionedPipeline } from './partitioned-pipeline.ts';
import { clusterHealthParts, registerClusterMetrics } from './cluster-status.ts';
import { watchTokenRevocations } from './token-revocations.ts';

export function createClusterPipeline(config: Config, opts: PipelineOptions): PartitionedPipeline | null {
  if (!config.redis_url) return null;
  return createPartitionedPipeline({
    ...opts,
    redisUrl: config.redis_url,
    instance: config.instance,
    partitions: config.cluster.partitions,
    keyPrefix: config.cluster.key_prefix,
    leaseMs: config.cluster.lease,
    retainSlackMs: config.cluster.retain_slack,
  });
}

/** In cluster mode each instance follows its own host's files: positions are stored as `<instance>/<source>`. */
export function clusterSourceConfig<T extends { name?: string; path?: string; units?: readonly string[] }>(config: Config, cfg: T): T {
  if (!config.redis_url) return cfg;
  // The same default names as file-source.ts and journald-source.ts, prefixed with the instance.
  const base = cfg.name ?? (cfg.path !== undefined ? `file:${cfg.path}` : `journald:${(cfg.units ?? []).join(',')}`);
  return { ...cfg, name: `${config.instance}/${base}` };
}

/** Health parts and metrics of the cluster, and token revocations announced to every instance. */
export function wireClusterServices(o: {
  cluster: PartitionedPipeline;
  config: Config;
  db: Db;
  logger: Logger;
  metrics: { registry: Registry; addCollector(fn: () => Promise<void> | void): void };
}) {
  registerClusterMetrics(o.metrics, o.cluster, o.db);
  const revocations = o.config.database_url
    ? watchTokenRevocations({
        db: o.db,
        databaseUrl: o.config.database_url,
        logger: o.logger,
      })
    : null;
  return {
    health: clusterHealthParts(o.cluster, o.db),
    async close() {
      await revocations?.close();
    },
  };
}
