/**
 * What an operator sees of the cluster: `/api/health/detailed` parts
 * (`redis`, `cluster`: instances, partition owners, lag per partition, probe
 * owners) and
 * `/metrics` gauges (per-partition lag, lease changes).
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Db } from '../store/db.ts';
import { listPartitionCursors } from '../store/cluster-repo.ts';
import type { PartitionedPipeline } from './partitioned-pipeline.ts';
import type { ProbeLeases } from './probe-leases.ts';

export interface PartitionStatus {
  partition: number;
  owner: string | null;
  last_id: string;
  committed_id: string;
  /** Arrival-time distance between the newest entry and the last one processed, milliseconds. */
  lag_ms: number;
}

export async function partitionStatus(pipeline: PartitionedPipeline, db: Db): Promise<PartitionStatus[]> {
  const { redis, partitions } = pipeline;
  const [owners, cursors, lastIds] = await Promise.all([
    redis.owners(partitions),
    listPartitionCursors(db, redis.prefix),
    Promise.all(Array.from({ length: partitions }, (_, p) => redis.lastId(p))),
  ]);
  const committed = new Map(cursors.map((c) => [c.partition, c.lastId]));
  return lastIds.map((last, p) => {
    const done = committed.get(p) ?? '0-0';
    const lag = last === '0-0' || last === done ? 0 : Math.max(0, idMs(last) - idMs(done === '0-0' ? last : done));
    return { partition: p, owner: owners[p]?.split('/')[0] ?? null, last_id: last, committed_id: done, lag_ms: lag };
  });
}

const idMs = (id: string) => Number(id.split('-')[0]);

/** Health parts: `redis` (degraded while unreachable: ingest answers 503) and `cluster`. */
export function clusterHealthParts(pipeline: PartitionedPipeline, db: Db, probeLeases: ProbeLeases | null = null) {
  return [
    {
      name: 'redis',
      async check() {
        if (!pipeline.redisReady()) return { status: 'degraded' as const, error: 'unreachable: ingest answers 503 until it is back' };
        const t0 = performance.now();
        await pipeline.redis.client.ping();
        return { status: 'ok' as const, latency_ms: Math.round((performance.now() - t0) * 100) / 100 };
      },
    },
    {
      name: 'cluster',
      async check() {
        if (!pipeline.redisReady()) return { status: 'degraded' as const, instance: pipeline.instance, error: 'redis unreachable' };
        const now = Date.now();
        const [instances, parts, probes] = await Promise.all([
          pipeline.redis.liveInstances(now, 3 * 3_000),
          partitionStatus(pipeline, db),
          probeLeases?.owners() ?? [],
        ]);
        const unowned = parts.filter((p) => p.owner === null).length + probes.filter((p) => p.owner === null).length;
        return {
          status: unowned > 0 ? ('degraded' as const) : ('ok' as const),
          instance: pipeline.instance,
          instances,
          owned_here: [...pipeline.leases.owned()].sort((a, b) => a - b),
          lease_changes: pipeline.leases.changes(),
          partitions: parts,
          // Each health probe runs on the instance holding its lease (probe-leases.ts).
          probes,
          probes_here: probeLeases?.ownedHere() ?? [],
        };
      },
    },
  ];
}

/** Registers the cluster's metrics: per-partition lag (scraped from Redis and PostgreSQL) and lease changes. */
export function registerClusterMetrics(
  m: { registry: Registry; addCollector(fn: () => Promise<void> | void): void },
  pipeline: PartitionedPipeline,
  db: Db,
): void {
  const lag = new Gauge({
    name: 'firebreak_cluster_partition_lag_seconds',
    help: 'Arrival-time distance between the newest entry of a partition stream and the last one processed',
    labelNames: ['partition', 'owner'],
    registers: [m.registry],
  });
  const owned = new Gauge({
    name: 'firebreak_cluster_partitions_owned',
    help: 'Partitions this instance owns',
    registers: [m.registry],
  });
  const changes = new Counter({
    name: 'firebreak_cluster_lease_changes_total',
    help: 'Partition leases acquired, lost or handed back by this instance',
    labelNames: ['change'],
    registers: [m.registry],
  });
  m.addCollector(async () => {
    owned.set(pipeline.leases.owned().size);
    changes.reset();
    for (const [k, v] of Object.entries(pipeline.leases.changes())) changes.inc({ change: k }, v);
    lag.reset();
    if (!pipeline.redisReady()) return;
    try {
      for (const p of await partitionStatus(pipeline, db))
        lag.set({ partition: String(p.partition), owner: p.owner ?? '' }, p.lag_ms / 1000);
    } catch {
      // Redis or PostgreSQL briefly unreachable: the scrape shows no lag series rather than failing.
    }
  });
}
