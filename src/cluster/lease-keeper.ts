/**
 * Partition ownership through Redis leases. Every tick (lease / 3, about a
 * second for the default 3 s lease) an instance:
 *  1. records its heartbeat in the roster and renews its leases with a
 *     compare-and-set (a lease it no longer holds is given up at once);
 *  2. computes its fair share, ceil(P / live instances), and takes free
 *     partitions (SET NX PX) up to it, and beyond it an orphan seen free on
 *     two ticks (its owner died; the roster does not know yet);
 *  3. hands back one partition per tick while it holds more than its share,
 *     so a joining instance gets work without a restart.
 * A partition whose owner died is free once its lease expires (about `lease`
 * after the last renewal) and the next tick of any instance takes it.
 *
 * The same keeper holds the health probes' leases (probe-leases.ts): there
 * "partition" i is probe i, its key named after the probe.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClusterRedis } from './cluster-redis.ts';

/** What the keeper needs of Redis: leases by index and the instance roster. */
export type LeaseStore = Pick<ClusterRedis, 'acquire' | 'renew' | 'release' | 'owners' | 'heartbeat' | 'liveInstances' | 'leave'>;

export interface LeaseKeeperOptions {
  redis: LeaseStore;
  /** What a lease is of, for the log ('partition' by default). */
  what?: string;
  /** Leave the instance roster on stop (default true; false for a second keeper of the same instance). */
  leaveOnStop?: boolean;
  instance: string;
  partitions: number;
  leaseMs: number;
  logger: Logger;
  /** Called when a partition is won; ownership begins when it resolves. */
  onAcquire(p: number): Promise<void>;
  /** Called when a partition is lost or handed back; the caller stops processing it. */
  onRelease(p: number, why: 'lost' | 'rebalance' | 'stop'): Promise<void>;
  /** False when the owner gave a partition up by itself (failed takeover, commit lost): its lease is released. */
  stillOwned(p: number): boolean;
}

export interface LeaseKeeper {
  readonly token: string;
  owned(): ReadonlySet<number>;
  /** Lease changes seen by this instance (acquired, lost, handed back). */
  changes(): { acquired: number; lost: number; released: number };
  tick(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createLeaseKeeper(o: LeaseKeeperOptions): LeaseKeeper {
  const token = `${o.instance}/${randomBytes(6).toString('hex')}`;
  const owned = new Set<number>();
  const counts = { acquired: 0, lost: 0, released: 0 };
  const tickMs = Math.max(100, Math.floor(o.leaseMs / 3));
  const what = o.what ?? 'partition';
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  // Start the scan at a different partition per instance, so instances starting together spread out.
  let cursor = Number.parseInt(token.slice(-4), 16) % o.partitions;

  const releasing = new Set<number>();

  /**
   * Gives a partition up. Lost: processing stops at once (someone else may own it
   * already). Handed back: the lease stays ours, renewed by the ticks, until the
   * work in progress is finished; then it is released. Never awaited by a tick:
   * a slow drain must not delay the renewal of the other leases.
   */
  function drop(p: number, why: 'lost' | 'rebalance' | 'stop'): Promise<void> {
    if (why === 'lost') {
      owned.delete(p);
      counts.lost++;
      return o.onRelease(p, why).catch((err: unknown) => o.logger.warn({ err, [what]: p }, `stopping a ${what} failed`));
    }
    if (releasing.has(p)) return Promise.resolve();
    releasing.add(p);
    return o
      .onRelease(p, why)
      .catch((err: unknown) => o.logger.warn({ err, [what]: p }, `stopping a ${what} failed`))
      .then(() => o.redis.release(p, token))
      .catch(() => {})
      .finally(() => {
        owned.delete(p);
        releasing.delete(p);
        counts.released++;
      });
  }

  /** Consecutive ticks each partition was seen without an owner. */
  const freeTicks = new Map<number, number>();
  /** The instance last seen holding each partition. */
  const lastHolder = new Map<number, string>();
  /** Partitions handed back lately (monotonic ms): not taken again at once, so another instance gets them. */
  const handedBack = new Map<number, number>();

  async function tickOnce(): Promise<void> {
    const now = Date.now();
    await o.redis.heartbeat(o.instance, now);
    await Promise.all(
      [...owned].map(async (p) => {
        if (!releasing.has(p) && !o.stillOwned(p)) void drop(p, 'rebalance');
        if (!(await o.redis.renew(p, token, o.leaseMs))) {
          o.logger.warn({ [what]: p }, `${what} lease lost`);
          void drop(p, 'lost');
        }
      }),
    );
    // A slow instance (busy event loop) still counts as live for twice the lease: it keeps its share.
    const roster = await o.redis.liveInstances(now, 2 * o.leaseMs);
    const live = Math.max(1, roster.length);
    const fresh = new Set(await o.redis.liveInstances(now, o.leaseMs));
    const share = Math.ceil(o.partitions / live);
    const keeping = () => owned.size - releasing.size;
    const holders = await o.redis.owners(o.partitions);
    for (let i = 0; i < o.partitions; i++) {
      const p = (cursor + i) % o.partitions;
      const holder = holders[p];
      if (holder !== null || owned.has(p)) {
        freeTicks.delete(p);
        if (holder) lastHolder.set(p, holder.split('/')[0]!);
        continue;
      }
      const seen = (freeTicks.get(p) ?? 0) + 1;
      freeTicks.set(p, seen);
      // Under our share: take it. At or over it: only an orphan, never one we just handed back. An orphan's
      // last holder stopped its heartbeat (it died; the roster still counts it), or it was seen free twice.
      const prev = lastHolder.get(p);
      const dead = prev !== undefined && prev !== o.instance && !fresh.has(prev);
      const orphan = (dead || seen >= 2) && now - (handedBack.get(p) ?? -Infinity) > 3 * tickMs;
      if (keeping() >= share && !orphan) continue;
      if (await o.redis.acquire(p, token, o.leaseMs)) {
        owned.add(p);
        freeTicks.delete(p);
        counts.acquired++;
        try {
          await o.onAcquire(p);
        } catch (err) {
          o.logger.warn({ err, [what]: p }, `taking over a ${what} failed; handing it back`);
          void drop(p, 'rebalance');
        }
      }
    }
    cursor = (cursor + 1) % o.partitions;
    if (keeping() > share) {
      const p = Math.max(...[...owned].filter((x) => !releasing.has(x)));
      o.logger.info({ [what]: p, share }, `handing a ${what} back to balance the cluster`);
      handedBack.set(p, now);
      void drop(p, 'rebalance');
    }
  }

  const keeper: LeaseKeeper = {
    token,
    owned: () => owned,
    changes: () => ({ ...counts }),
    async tick() {
      while (running) await running;
      running = tickOnce()
        .catch(async (err: unknown) => {
          // Redis unreachable: our leases may expire without us knowing; stop processing rather than risk two owners.
          o.logger.warn({ err: (err as Error).message }, `${what} leases could not be renewed`);
          for (const p of [...owned]) void drop(p, 'lost');
        })
        .finally(() => (running = null));
      await running;
    },
    start() {
      if (timer) return;
      const loop = () => {
        timer = setTimeout(() => void keeper.tick().finally(() => timer && loop()), tickMs);
      };
      void keeper.tick();
      loop();
    },
    async stop() {
      const t = timer;
      timer = null;
      if (t) clearTimeout(t);
      while (running) await running;
      await Promise.all([...owned].map((p) => drop(p, 'stop')));
      if (o.leaveOnStop !== false) await o.redis.leave(o.instance).catch(() => {});
    },
  };
  return keeper;
}
