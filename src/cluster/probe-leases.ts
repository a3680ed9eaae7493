/**
 * Cluster mode: each health probe runs on one instance at a time. A probe is
 * held through a Redis lease (`<prefix>:probe-lease:<name>`, SET NX PX,
 * renewed every lease / 3) kept by the partition lease keeper
 * (lease-keeper.ts), so probes spread over the instances like partitions and
 * one whose owner stops renewing (crash, SIGKILL, lost Redis) is taken over
 * by another instance once its lease expires, about `cluster.lease` (3 s)
 * later. While this instance cannot reach Redis it holds no probe (two
 * instances probing is avoided rather than a gap).
 *
 * The probe manager asks `owns(name)` before each run; it stops the runs of
 * a probe before its lease is handed back, so the next owner starts after.
 */
import type { Logger } from 'pino';
import { ClusterRedis, connectRedis, type RedisClient } from './cluster-redis.ts';
import { createLeaseKeeper, type LeaseKeeper } from './lease-keeper.ts';

export interface ProbeLeases {
  owns(name: string): boolean;
  /** Probe name → the instance holding its lease, or null (read from Redis). */
  owners(): Promise<{ probe: string; owner: string | null }[]>;
  /** Probes held by this instance. */
  ownedHere(): string[];
  readonly keeper: LeaseKeeper;
  start(): void;
  stop(): Promise<void>;
}

export function createProbeLeases(o: {
  redisUrl: string;
  keyPrefix: string;
  instance: string;
  leaseMs: number;
  probes: readonly string[];
  logger: Logger;
}): ProbeLeases {
  const names = [...o.probes];
  // A connection of its own, as the partition leases have: renewals never wait behind appends and reads.
  const client: RedisClient = connectRedis(o.redisUrl, () => {});
  const redis = new ClusterRedis(client, o.keyPrefix, (i) => `${o.keyPrefix}:probe-lease:${names[i]}`);
  /** Probes whose runs may start here: added once the lease is won, removed before it is released. */
  const active = new Set<string>();
  const keeper = createLeaseKeeper({
    redis,
    what: 'probe',
    // The partition keeper of this instance owns its place in the roster.
    leaveOnStop: false,
    instance: o.instance,
    partitions: names.length,
    leaseMs: o.leaseMs,
    logger: o.logger,
    onAcquire: async (i) => {
      o.logger.info({ probe: names[i] }, 'probe taken: it runs on this instance');
      active.add(names[i]!);
    },
    onRelease: async (i) => void active.delete(names[i]!),
    stillOwned: () => true,
  });
  let running = false;

  return {
    keeper,
    owns: (name) => active.has(name),
    ownedHere: () => names.filter((n) => active.has(n)),
    async owners() {
      // Not connected (yet): unknown holders, shown as none (the cluster part says degraded) rather than failing the report.
      const holders = client.isReady ? await redis.owners(names.length) : names.map(() => null);
      return names.map((probe, i) => ({ probe, owner: holders[i]?.split('/')[0] ?? null }));
    },
    start() {
      if (running) return;
      running = true;
      // Connect in the background; until then (and whenever Redis is unreachable) the keeper's ticks fail and nothing is held.
      void (async () => {
        while (running && !client.isOpen) {
          try {
            await client.connect();
          } catch (err) {
            o.logger.warn({ err: (err as Error).message }, 'redis unreachable for probe leases; retrying');
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      })();
      keeper.start();
    },
    async stop() {
      running = false;
      await keeper.stop().catch(() => {});
      active.clear();
      if (client.isOpen) client.destroy();
    },
  };
}
