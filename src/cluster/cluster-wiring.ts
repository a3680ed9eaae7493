/**
 * Cluster mode in start-up, in three calls so the composition root stays a
 * few lines (docs/cluster.md):
 *   createClusterPipeline  → the partitioned pipeline when `redis_url` is set, else null
 *                            (then the single-process pipeline is used, untouched);
 *   clusterSourceConfig    → a followed file's position is kept per instance;
 *   wireClusterServices    → health parts, metrics, token revocations across instances;
 *   createFailureLimits    → failed sign-in / bearer counters: in Redis in cluster mode, else in memory;
 *   createClusterProbeLeases → one instance at a time runs each health probe.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { PipelineOptions } from '../detect/pipeline.ts';
import type { Registry } from 'prom-client';
import { createPartitionedPipeline, type PartitionedPipeline } from './partitioned-pipeline.ts';
import { clusterHealthParts, registerClusterMetrics } from './cluster-status.ts';
import { watchTokenRevocations } from './token-revocations.ts';
import { redisFailureCounter } from './redis-failure-counter.ts';
import { createProbeLeases, type ProbeLeases } from './probe-leases.ts';
import {
  BEARER_MAX_FAILURES,
  BEARER_WINDOW_MS,
  LOGIN_MAX_FAILURES,
  LOGIN_MAX_FAILURES_PER_ADDRESS,
  LOGIN_WINDOW_MS,
  memoryFailureCounter,
  memoryFailureLimits,
  type FailureLimits,
} from '../domain/auth-limits.ts';

/** In cluster mode with probes configured: the probe leases (probe-leases.ts); else null (every probe runs here). */
export function createClusterProbeLeases(config: Config, logger: Logger): ProbeLeases | null {
  if (!config.redis_url || config.probes.length === 0) return null;
  return createProbeLeases({
    redisUrl: config.redis_url,
    keyPrefix: config.cluster.key_prefix,
    instance: config.instance,
    leaseMs: config.cluster.lease,
    probes: config.probes.map((p) => p.name),
    logger,
  });
}

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
  /** The probe leases, shown next to the partition owners in `/api/health/detailed`. */
  probeLeases: ProbeLeases | null;
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
    health: clusterHealthParts(o.cluster, o.db, o.probeLeases),
    async close() {
      await revocations?.close();
    },
  };
}

/**
 * The one place that chooses how failed authentications are counted: in
 * Redis (on the pipeline's connection) in cluster mode, so the limits hold
 * for the cluster as a whole; in memory otherwise. While Redis is unreachable
 * sign-ins are refused (503) and bearer failures are counted per instance
 * (src/cluster/redis-failure-counter.ts says why).
 */
export function createFailureLimits(cluster: PartitionedPipeline | null, logger: Logger): FailureLimits {
  if (!cluster) return memoryFailureLimits();
  const client = cluster.redis.client;
  const base = `${cluster.redis.prefix}:fail`;
  return {
    signInByPrefix: redisFailureCounter({
      client,
      prefix: `${base}:signin-token`,
      limit: LOGIN_MAX_FAILURES,
      windowMs: LOGIN_WINDOW_MS,
      what: 'sign-ins',
      logger,
      whenUnreachable: 'refuse',
    }),
    signInByAddress: redisFailureCounter({
      client,
      prefix: `${base}:signin-address`,
      limit: LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowMs: LOGIN_WINDOW_MS,
      what: 'sign-ins',
      logger,
      whenUnreachable: 'refuse',
    }),
    bearer: redisFailureCounter({
      client,
      prefix: `${base}:bearer`,
      limit: BEARER_MAX_FAILURES,
      windowMs: BEARER_WINDOW_MS,
      what: 'bearer authentications',
      logger,
      whenUnreachable: memoryFailureCounter(BEARER_MAX_FAILURES, BEARER_WINDOW_MS),
    }),
  };
}
