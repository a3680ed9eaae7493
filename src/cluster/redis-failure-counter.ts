/**
 * FailureCounter in Redis (cluster mode): failed sign-ins and bearer
 * failures counted once for the whole cluster, so five bad sign-ins spread
 * over three instances count as five. One sorted set per key, scored by the
 * failure's time: recording is ZADD + trimming to the window and to `limit`
 * members + PEXPIRE, in one MULTI; "blocked?" reads the members left in the
 * window. Same answers as the in-memory SlidingLimiter (domain/failure-limiter.ts).
 *
 * Keys hold a hash of the counted key (an address, a token prefix), never the
 * key itself: Redis need not learn who tried what.
 *
 * Redis unreachable (disconnected, or no answer within TIMEOUT_MS):
 * - `refuse` (sign-ins): fail closed with `unavailable` (503, Retry-After):
 *   counting nothing would let a guesser try without limit;
 * - a fallback counter (bearer failures): counted per instance until Redis is
 *   back, so the API (ingest, bouncers) keeps working; tokens carry 256 bits,
 *   the limit is a second line of defence there.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { FailureCounter } from '../domain/auth-limits.ts';
import type { RedisClient } from './cluster-redis.ts';

const TIMEOUT_MS = 1_000;
const RETRY_AFTER_S = 5;

export interface RedisFailureCounterOptions {
  client: RedisClient;
  /** Redis key prefix of this counter, e.g. `firebreak:fail:signin-prefix`. */
  prefix: string;
  limit: number;
  windowMs: number;
  /** What is counted, for the error message ("sign-ins"). */
  what: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  whenUnreachable: 'refuse' | FailureCounter;
}

export function redisFailureCounter(o: RedisFailureCounterOptions): FailureCounter {
  const keyOf = (k: string) => `${o.prefix}:${createHash('sha256').update(k).digest('hex').slice(0, 32)}`;
  let degraded = false;

  async function withRedis<T>(fn: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      if (!o.client.isReady) throw new Error('not connected');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      });
      const v = await Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
      if (degraded) o.logger.info({ counter: o.prefix }, 'failure counting back on Redis');
      degraded = false;
      return v;
    } catch (err) {
      if (!degraded) o.logger.warn({ err: (err as Error).message, counter: o.prefix }, 'Redis unreachable for failure counting');
      degraded = true;
      if (o.whenUnreachable === 'refuse') {
        throw new AppError(
          'unavailable',
          `${o.what} are paused: Redis, which counts failed ${o.what} for the whole cluster, is unreachable; retry in a few seconds`,
          { retryAfter: RETRY_AFTER_S, cause: err },
        );
      }
      return local();
    }
  }

  const fallback = o.whenUnreachable === 'refuse' ? null : o.whenUnreachable;
  return {
    limit: o.limit,
    windowMs: o.windowMs,
    blockedForMs: (key, now) =>
      withRedis(
        async () => {
          const members = await o.client.zRangeByScoreWithScores(keyOf(key), `(${now - o.windowMs}`, '+inf');
          if (members.length < o.limit) return 0;
          return Math.max(1, members[members.length - o.limit]!.score + o.windowMs - now);
        },
        () => fallback!.blockedForMs(key, now),
      ),
    record: (key, now) =>
      withRedis(
        async () => {
          const k = keyOf(key);
          await o.client
            .multi()
            .zAdd(k, { score: now, value: `${now}-${randomBytes(4).toString('hex')}` })
            .zRemRangeByScore(k, '-inf', now - o.windowMs)
            // Only the newest `limit` matter ("over the limit?", "when does the oldest leave?"): memory stays bounded.
            .zRemRangeByRank(k, 0, -(o.limit + 1))
            .pExpire(k, o.windowMs)
            .exec();
        },
        () => fallback!.record(key, now),
      ),
  };
}
