// Failure counting in Redis (cluster mode) on the local Redis server: the same
// answers as the in-memory limiter, one count for several instances, and
// sign-ins refused (503 + Retry-After) while Redis is unreachable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { AppError } from '../errors.ts';
import { SlidingLimiter } from '../domain/failure-limiter.ts';
import { memoryFailureCounter } from '../domain/auth-limits.ts';
import { connectRedis, type RedisClient } from './cluster-redis.ts';
import { redisFailureCounter } from './redis-failure-counter.ts';
import { startTestFirebreak, TEST_ADMIN_TOKEN } from '../test-harness.ts';
import { testBackends } from '../store/test-databases.ts';
import { freePort } from '../../test/support/process.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `fbtest-limits-${process.pid}-${randomBytes(4).toString('hex')}`;
const logger = pino({ level: 'silent' });

describe('failure counters in Redis', () => {
  let a: RedisClient;
  let b: RedisClient;
  before(async () => {
    a = connectRedis(REDIS_URL, () => {});
    b = connectRedis(REDIS_URL, () => {});
    await Promise.all([a.connect(), b.connect()]);
  });
  after(async () => {
    for await (const keys of a.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 500 })) if (keys.length) await a.del(keys);
    a.destroy();
    b.destroy();
  });
  const counter = (client: RedisClient, name: string, limit = 3, windowMs = 60_000) =>
    redisFailureCounter({ client, prefix: `${PREFIX}:${name}`, limit, windowMs, what: 'sign-ins', logger, whenUnreachable: 'refuse' });

  test('answers like the in-memory limiter: blocked at the limit, until the oldest failure leaves the window', async () => {
    const r = counter(a, 'parity');
    const m = new SlidingLimiter({ limit: 3, windowMs: 60_000 });
    // A fixed pseudo-random walk of records and checks on a few keys.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let now = 1_000_000;
    for (let i = 0; i < 300; i++) {
      now += Math.floor(rnd() * 15_000);
      const key = `k${Math.floor(rnd() * 3)}`;
      if (rnd() < 0.6) {
        await r.record(key, now);
        m.record(key, now);
      }
      assert.equal(await r.blockedForMs(key, now), m.blockedForMs(key, now), `step ${i}, ${key} at ${now}`);
    }
  });

  test('failures recorded through two connections (two instances) add up to one limit', async () => {
    const onA = counter(a, 'shared');
    const onB = counter(b, 'shared');
    await onA.record('192.0.2.1', 1_000);
    await onB.record('192.0.2.1', 2_000);
    assert.equal(await onA.blockedForMs('192.0.2.1', 2_000), 0);
    await onA.record('192.0.2.1', 3_000);
    assert.equal(await onB.blockedForMs('192.0.2.1', 3_000), 58_000, 'the third failure, on any instance, reaches the limit');
    assert.equal(await onA.blockedForMs('192.0.2.2', 3_000), 0, 'other keys are free');
    const keys = await a.keys(`${PREFIX}:shared:*`);
    assert.ok(
      keys.every((k) => !k.includes('192.0.2')),
      `keys hold a hash, not the address: ${keys.join(', ')}`,
    );
    assert.ok((await a.pTTL(keys[0]!)) <= 60_000, 'keys expire with the window');
  });

  test('Redis unreachable: sign-in counting refuses (unavailable, Retry-After); bearer counting falls back to the instance', async () => {
    const down = connectRedis(`redis://127.0.0.1:${await freePort()}`, () => {});
    const refuse = counter(down, 'down');
    await assert.rejects(refuse.blockedForMs('x', 0), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'unavailable');
      assert.ok((err.retryAfter ?? 0) > 0);
      assert.match(err.message, /sign-ins are paused: Redis.*unreachable/);
      return true;
    });
    await assert.rejects(refuse.record('x', 0), /sign-ins are paused/);
    const local = memoryFailureCounter(2, 60_000);
    const fallback = redisFailureCounter({
      client: down,
      prefix: `${PREFIX}:down2`,
      limit: 2,
      windowMs: 60_000,
      what: 'bearer authentications',
      logger,
      whenUnreachable: local,
    });
    await fallback.record('x', 0);
    await fallback.record('x', 1);
    assert.equal(await fallback.blockedForMs('x', 1), 59_999);
    assert.equal(await local.blockedForMs('x', 1), 59_999, 'counted on the fallback');
  });
});

for (const backend of testBackends()) {
  describe(`cluster mode with Redis unreachable (${backend})`, () => {
    test('dashboard sign-in answers 503 with Retry-After and says why; bearer tokens still work', async () => {
      const t = await startTestFirebreak(backend, {
        configYaml: { redis_url: `redis://127.0.0.1:${await freePort()}`, cluster: { key_prefix: PREFIX } },
      });
      try {
        const r = await t.call('POST', '/api/v1/session', { token: TEST_ADMIN_TOKEN }, null);
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'unavailable');
        assert.match(
          r.body.error.message,
          /sign-ins are paused: Redis, which counts failed sign-ins for the whole cluster, is unreachable/,
        );
        assert.ok(Number(r.headers['retry-after']) > 0, 'Retry-After is set');
        assert.equal(r.headers['set-cookie'], undefined, 'no session');
        assert.equal((await t.call('GET', '/api/v1/incidents')).status, 200, 'bearer failures are counted per instance meanwhile');
        assert.equal((await t.call('GET', '/api/v1/incidents', undefined, 'wrong-token')).status, 401);
      } finally {
        await t.close();
      }
    });
  });
}
