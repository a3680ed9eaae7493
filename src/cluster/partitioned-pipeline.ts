/**
 * The cluster implementation of `Pipeline` (selected when `redis_url` is set):
 * detection exact across instances, on Redis Streams.
 *
 *   accept(events) ── route by rule key ──► XADD to partition streams (one MULTI)
 *        │                                   202 only after it succeeded; Redis down → 503
 *        └─► recorder: raw events, per-minute counts (PostgreSQL, background)
 *
 *   lease keeper ── owns some partitions ──► partition owner: XREAD → RuleEngine per
 *                                            partition → commit (cursor + detections)
 *                                            → onDetection (incident opened once)
 *
 * `accept` resolves once the entries are on their streams and refuses at once
 * (`unavailable`, 503 + Retry-After) while Redis is down; log followers then
 * keep their position and retry.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { DetectionJob, DetectionsHandled, FbEvent } from '../domain/event.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import type { RuleKeyStats } from '../domain/rules/rule-engine.ts';
import { emptyPipelineStats, type Pipeline } from '../detect/pipeline.ts';
import { ClusterRedis, connectRedis, type RedisClient } from './cluster-redis.ts';
import { PartitionRouter } from './partition-key.ts';
import { PartitionOwner } from './partition-owner.ts';
import { createLeaseKeeper, type LeaseKeeper } from './lease-keeper.ts';
import { EventRecorder } from './event-recorder.ts';

export interface PartitionedPipelineOptions {
  db: Db;
  logger: Logger;
  rules: readonly RuleSpec[];
  clock: () => Date;
  onDetections(batch: readonly DetectionJob[]): Promise<void | DetectionsHandled>;
  redisUrl: string;
  instance: string;
  partitions: number;
  keyPrefix: string;
  leaseMs: number;
  retainSlackMs: number;
  store?: 'matched' | 'all' | 'none';
  queueLimit?: number;
  retentionMs?: number;
}

/** accept() resolves once every event is on its partition stream; throws `unavailable` (503) when Redis is unreachable. */
export interface PartitionedPipeline extends Pipeline {
  readonly redis: ClusterRedis;
  readonly leases: LeaseKeeper;
  readonly owner: PartitionOwner;
  readonly instance: string;
  readonly partitions: number;
  redisReady(): boolean;
}

const RETRY_AFTER_S = 2;

export function createPartitionedPipeline(o: PartitionedPipelineOptions): PartitionedPipeline {
  let lastRedisError: string | null = null;
  const client: RedisClient = connectRedis(o.redisUrl, (err) => {
    if (lastRedisError !== err.message) o.logger.warn({ err: err.message }, 'redis error');
    lastRedisError = err.message;
  });
  client.on('ready', () => {
    if (lastRedisError) o.logger.info('redis reachable again');
    lastRedisError = null;
  });
  let reader: RedisClient | null = null;
  const redis = new ClusterRedis(client, o.keyPrefix);
  // Leases on a connection of their own: a renewal must not wait behind large appends and reads.
  const leaseClient: RedisClient = connectRedis(o.redisUrl, () => {});
  const router = new PartitionRouter(o.rules, o.partitions);
  const storePolicy = o.store ?? 'matched';
  const queueLimit = o.queueLimit ?? 1_000_000;
  const recorder = new EventRecorder({ db: o.db, logger: o.logger, clock: o.clock, retentionMs: o.retentionMs, queueLimit });
  const st = emptyPipelineStats();
  const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
  const owner = new PartitionOwner({
    db: o.db,
    redis,
    router,
    rules: o.rules,
    instance: o.instance,
    logger: o.logger,
    clock: o.clock,
    onDetections: o.onDetections,
    onCommitted: (d) => {
      st.detections++;
      bump(st.detectionsByRule, d.rule);
    },
  });
  const leases = createLeaseKeeper({
    redis: new ClusterRedis(leaseClient, o.keyPrefix),
    instance: o.instance,
    partitions: o.partitions,
    leaseMs: o.leaseMs,
    logger: o.logger,
    onAcquire: async (p) => {
      readIds.delete(p);
      owner.take(p);
    },
    onRelease: async (p) => owner.drop(p),
    stillOwned: (p) => owner.owned.has(p),
  });
  const horizonMs = Math.max(0, ...o.rules.map((r) => (r.windowUs + r.cooldownUs) / 1000)) + o.retainSlackMs;
  const unavailable = () =>
    new AppError('unavailable', 'Redis is unreachable: events cannot be made durable; retry shortly', { retryAfter: RETRY_AFTER_S });

  let running = false;
  let readLoop: Promise<void> | null = null;
  let timers: NodeJS.Timeout[] = [];

  /** Groups events by partition; counts them; keeps those to store. */
  function prepare(events: readonly FbEvent[]): Map<number, FbEvent[]> {
    const byPartition = new Map<number, FbEvent[]>();
    const parts = new Set<number>();
    for (const ev of events) {
      router.partitionsOf(ev, parts);
      for (const p of parts) {
        let list = byPartition.get(p);
        if (!list) byPartition.set(p, (list = []));
        list.push(ev);
      }
    }
    return byPartition;
  }

  function record(events: readonly FbEvent[]): void {
    const stored: FbEvent[] = [];
    for (const ev of events) {
      st.accepted++;
      bump(st.byType, ev.type);
      recorder.count(ev.tsUs, ev.type, 'events');
      if (storePolicy === 'all' || (storePolicy === 'matched' && router.rulesFor(ev.type).length > 0)) stored.push(ev);
    }
    recorder.store(stored);
  }

  function refuseIfFull(n: number): void {
    if (!recorder.fits(n))
      throw new AppError('rate_limited', `Firebreak is catching up (${recorder.pending} events waiting to be stored); retry shortly`, {
        retryAfter: 1,
      });
  }

  async function readForever(): Promise<void> {
    while (running) {
      const after = new Map<number, string>();
      for (const part of owner.owned.values()) if (part.ready && !part.stopped) after.set(part.p, readIds.get(part.p) ?? part.cursor);
      if (after.size === 0 || !reader?.isReady) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      try {
        const got = await redis.read(reader, after, 1000, 100);
        await Promise.all(
          [...got].map(async ([p, entries]) => {
            if (entries.length === 0) return;
            readIds.set(p, entries[entries.length - 1]!.id);
            try {
              await owner.process(p, entries);
            } catch (err) {
              o.logger.warn({ err, partition: p }, 'processing a partition batch failed; rebuilding it');
              readIds.delete(p);
              await owner.drop(p);
              if (leases.owned().has(p)) owner.take(p);
            }
          }),
        );
        for (const p of [...readIds.keys()]) if (!owner.owned.has(p)) readIds.delete(p);
      } catch (err) {
        o.logger.warn({ err: (err as Error).message }, 'reading partition streams failed');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  /** The newest entry read per partition (entries after it are read next; the cursor trails it until committed). */
  const readIds = new Map<number, string>();

  async function trimOwned(): Promise<void> {
    const nowMs = Date.now();
    for (const part of owner.owned.values()) {
      if (!part.ready) continue;
      const cursorMs = Number(part.cursor.split('-')[0]);
      const minMs = Math.min(cursorMs, nowMs - horizonMs);
      if (minMs > 0) await redis.trim(part.p, `${minMs}-0`).catch(() => {});
    }
  }

  const pipeline: PartitionedPipeline = {
    rules: o.rules,
    redis,
    leases,
    owner,
    instance: o.instance,
    partitions: o.partitions,
    redisReady: () => client.isReady,
    async accept(events, opts) {
      if (!running || !client.isReady) throw unavailable();
      refuseIfFull(events.length);
      const byPartition = prepare(events);
      try {
        await redis.append(byPartition);
      } catch (err) {
        throw new AppError('unavailable', 'Redis is unreachable: events cannot be made durable; retry shortly', {
          retryAfter: RETRY_AFTER_S,
          cause: err,
        });
      }
      record(events);
      // A followed file's position is saved only after its events are on their streams.
      if (opts?.position) recorder.position(opts.position);
      return { detections: [], quarantined: 0 };
    },
    countRejected(type, n = 1) {
      st.rejected += n;
      bump(st.rejectedByType, type, n);
      recorder.count(Date.now() * 1000, type, 'rejected', n);
    },
    async rebuild() {
      return 0; // each partition is rebuilt from its stream when taken over
    },
    flush: () => recorder.flush(),
    async drain() {
      await Promise.all([...owner.owned.values()].map((p) => p.busy));
    },
    start() {
      if (running) return;
      running = true;
      // Connect in the background: until Redis answers, ingest says 503 and health `redis: degraded`.
      readLoop = (async () => {
        while (running && !client.isReady) {
          try {
            if (!client.isOpen) await client.connect();
            else await new Promise((r) => setTimeout(r, 200));
          } catch (err) {
            o.logger.warn({ err: (err as Error).message }, 'redis unreachable at start; retrying');
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
        if (!running) return;
        reader = client.duplicate();
        reader.on('error', () => {}); // reported through the main client
        await reader.connect();
        await leaseClient.connect();
        leases.start();
        await readForever();
      })();
      const flushTimer = setInterval(() => void recorder.flush().catch(() => {}), 200);
      const trimTimer = setInterval(() => void trimOwned(), 30_000);
      timers = [flushTimer, trimTimer];
    },
    async stop() {
      const wasRunning = running && client.isReady;
      running = false;
      for (const t of timers) clearInterval(t);
      timers = [];
      await readLoop?.catch(() => {});
      if (wasRunning) await leases.stop().catch(() => {});
      await recorder.flush().catch(() => {});
      if (reader?.isOpen) reader.destroy();
      if (leaseClient.isOpen) leaseClient.destroy();
      if (client.isOpen) client.destroy();
    },
    stats() {
      st.persisted = recorder.persisted;
      st.persistErrors = recorder.errors;
      st.lastPersistError = recorder.lastError;
      let rebuilt = 0;
      for (const part of owner.owned.values()) rebuilt += part.rebuiltEntries;
      return { ...st, pendingPersist: recorder.pending, pendingDetections: 0, rebuiltEvents: rebuilt };
    },
    engineStats() {
      // Summed over the partitions this instance owns; per rule too (each partition runs every rule).
      const s = { keys: 0, evictedKeys: 0, droppedKeys: 0, rules: [] as RuleKeyStats[] };
      const byRule = new Map<string, RuleKeyStats>();
      for (const part of owner.owned.values()) {
        const x = part.engine.stats();
        s.keys += x.keys;
        s.evictedKeys += x.evictedKeys;
        s.droppedKeys += x.droppedKeys;
        for (const r of x.rules) {
          const acc = byRule.get(r.rule);
          if (!acc) byRule.set(r.rule, { ...r });
          else {
            acc.keys += r.keys;
            acc.evictedKeys += r.evictedKeys;
            acc.droppedKeys += r.droppedKeys;
            acc.dropping ||= r.dropping;
          }
        }
      }
      s.rules = [...byRule.values()];
      return s;
    },
  };
  return pipeline;
}
