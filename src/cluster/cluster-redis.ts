/**
 * The Redis side of cluster mode, on node-redis: partition streams (XADD in
 * one MULTI per accepted batch, XREAD, XRANGE, XTRIM MINID), partition leases
 * (SET NX PX, renewed and released with compare-and-set scripts) and the
 * instance roster (a sorted set scored by last heartbeat).
 *
 * The client never queues commands while disconnected (disableOfflineQueue):
 * an append while Redis is down fails at once, so ingest can answer 503
 * instead of holding events it has not made durable.
 */
import { createClient } from 'redis';
import type { FbEvent } from '../domain/event.ts';

export type RedisClient = ReturnType<typeof createClient>;

export interface StreamEntry {
  id: string;
  events: FbEvent[];
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function connectRedis(url: string, onError: (err: Error) => void): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 4), 1000) },
  });
  client.on('error', onError);
  return client;
}

/** Compares stream ids `ms-seq` numerically: -1, 0 or 1. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const x = Number(am) - Number(bm) || Number(as) - Number(bs);
  return x < 0 ? -1 : x > 0 ? 1 : 0;
}

export class ClusterRedis {
  /**
   * `leaseKey` names lease i: partition leases by default; probe leases
   * (probe-leases.ts) name theirs after the probe, with the same lease code.
   */
  constructor(
    readonly client: RedisClient,
    readonly prefix: string,
    private readonly leaseKey: (i: number) => string = (p) => `${prefix}:lease:${p}`,
  ) {}

  stream(p: number): string {
    return `${this.prefix}:events:${p}`;
  }
  lease(p: number): string {
    return this.leaseKey(p);
  }
  private get roster(): string {
    return `${this.prefix}:instances`;
  }

  /** Appends each partition's events as one entry, all partitions in one MULTI (all or none). */
  async append(byPartition: Map<number, FbEvent[]>): Promise<void> {
    if (byPartition.size === 0) return;
    const m = this.client.multi();
    for (const [p, evs] of byPartition) m.xAdd(this.stream(p), '*', { e: JSON.stringify(evs) });
    await m.exec();
  }

  /** Entries after `after` (exclusive) up to `to` (inclusive, default the end), at most `count`. */
  async range(p: number, after: string, count: number, to = '+'): Promise<StreamEntry[]> {
    const rows = await this.client.xRange(this.stream(p), `(${after}`, to, { COUNT: count });
    return rows.map(decode);
  }

  /** Blocks up to `blockMs` for entries after the given ids; a dedicated connection is needed for BLOCK. */
  async read(reader: RedisClient, after: Map<number, string>, count: number, blockMs: number): Promise<Map<number, StreamEntry[]>> {
    const out = new Map<number, StreamEntry[]>();
    if (after.size === 0) return out;
    const byKey = new Map<string, number>();
    const streams = [...after].map(([p, id]) => {
      byKey.set(this.stream(p), p);
      return { key: this.stream(p), id };
    });
    const res = (await reader.xRead(streams, { COUNT: count, BLOCK: blockMs })) as
      { name: string; messages: { id: string; message: Record<string, string> }[] }[] | null;
    for (const s of res ?? []) out.set(byKey.get(s.name)!, s.messages.map(decode));
    return out;
  }

  /** The id of the newest entry of the partition ('0-0' when empty). */
  async lastId(p: number): Promise<string> {
    const rows = await this.client.xRevRange(this.stream(p), '+', '-', { COUNT: 1 });
    return rows[0]?.id ?? '0-0';
  }

  /** Drops entries older than `minId` (XTRIM MINID, approximate: whole radix-tree nodes). */
  async trim(p: number, minId: string): Promise<number> {
    return this.client.xTrim(this.stream(p), 'MINID', minId, { strategyModifier: '~' });
  }

  async acquire(p: number, token: string, ttlMs: number): Promise<boolean> {
    const r = await this.client.set(this.lease(p), token, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
    return r === 'OK';
  }
  async renew(p: number, token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.client.eval(RENEW, { keys: [this.lease(p)], arguments: [token, String(ttlMs)] })) === 1;
  }
  async release(p: number, token: string): Promise<void> {
    await this.client.eval(RELEASE, { keys: [this.lease(p)], arguments: [token] });
  }
  /** Current lease holders: partition → token (`instance/random`) or null. */
  async owners(partitions: number): Promise<(string | null)[]> {
    if (partitions === 0) return [];
    return (await this.client.mGet(Array.from({ length: partitions }, (_, p) => this.lease(p)))) as (string | null)[];
  }

  async heartbeat(instance: string, nowMs: number): Promise<void> {
    await this.client.zAdd(this.roster, { score: nowMs, value: instance });
  }
  /** Instances seen within `withinMs`, oldest entries pruned after a day. */
  async liveInstances(nowMs: number, withinMs: number): Promise<string[]> {
    await this.client.zRemRangeByScore(this.roster, 0, nowMs - 86_400_000);
    return this.client.zRangeByScore(this.roster, nowMs - withinMs, '+inf');
  }
  async leave(instance: string): Promise<void> {
    await this.client.zRem(this.roster, instance);
  }
}

function decode(row: { id: string; message: Record<string, string> }): StreamEntry {
  let events: FbEvent[] = [];
  try {
    const v: unknown = JSON.parse(row.message.e ?? '[]');
    if (Array.isArray(v)) events = v as FbEvent[];
  } catch {
    // An entry not written by Firebreak: nothing to count; the id still advances.
  }
  return { id: row.id, events };
}
