// Cluster mode end to end: three real `firebreak serve` processes on one
// PostgreSQL database and the local Redis (a key prefix of this run's own),
// an attack mix sent round-robin in order, one instance killed with SIGKILL
// at 40%: the detections must be exactly those of a single-process
// `firebreak replay` of the same events. Then a ban made through one
// instance is read on the others, and an instance whose Redis goes away
// answers 503 (never 202) and resumes once it is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../src/store/test-databases.ts';
import { attackMix } from './support/attack-mix.ts';
import { freePort, runCli, startServer, type ServerProcess } from './support/process.ts';
import { deleteRedisPrefix } from './support/redis-keys.ts';
import { waitFor } from './support/wait-for.ts';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = `fbk_cluster_test_${randomBytes(16).toString('hex')}`;
const PREFIX = `fbtest-${process.pid}-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'fb-cluster-'));
let db: TestDatabase;
const servers: ServerProcess[] = [];

async function call(base: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** waitFor, with a failing poll (an instance restarting) counted as not yet. */
const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> =>
  waitFor(what, () => fn().catch(() => undefined), ms, 100) as Promise<T>;

function instanceConfig(name: string, prefix: string): string {
  const file = path.join(dir, `${name}.yaml`);
  // No campaigns here: each detection keeps an incident (and a timeline entry) of its own, so the test
  // can check that every detection was handled exactly once, whichever instance owned its key.
  const noGroups = ['brute_force_attempt', 'credential_stuffing', 'ddos', 'scanner'].map((r) => `  ${r}: { group: false }\n`).join('');
  writeFileSync(file, `instance: ${name}\ncluster:\n  key_prefix: ${prefix}\nrules:\n${noGroups}`);
  return file;
}

function start(name: string, prefix = PREFIX, redisUrl = REDIS_URL): Promise<ServerProcess> {
  const cwd = path.join(dir, name);
  return startServer({
    cwd: dir,
    args: ['--data-dir', cwd],
    env: {
      DATABASE_URL: db.databaseUrl!,
      REDIS_URL: redisUrl,
      FIREBREAK_CONFIG: instanceConfig(name, prefix),
      FIREBREAK_ADMIN_TOKEN: ADMIN,
    },
    timeoutMs: 60_000,
  }).then((s) => (servers.push(s), s));
}

interface PartitionRow {
  partition: number;
  owner: string | null;
  last_id: string;
  committed_id: string;
}
async function clusterParts(s: ServerProcess): Promise<PartitionRow[] | null> {
  const h = await call(s.url, 'GET', '/api/health/detailed');
  const c = (h.body?.components as Record<string, { partitions?: PartitionRow[] }> | undefined)?.cluster;
  return c?.partitions ?? null;
}

before(async () => {
  db = await createTestDatabase('server', { TEST_DATABASE_URL: PG_URL });
});

after(async () => {
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
  await deleteRedisPrefix(REDIS_URL, PREFIX);
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster: 3 instances on PostgreSQL + Redis', () => {
  test('round-robin ingest with one instance SIGKILLed at 40%: the detections of one process, each once', async () => {
    const events = attackMix(6000);
    const ndjson = path.join(dir, 'events.ndjson');
    writeFileSync(ndjson, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const replay = await runCli(['replay', '--format', 'ndjson', ndjson]);
    assert.equal(replay.code, 0, replay.stderr);
    const expected = replay.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; key: string; at: string; value: number });
    assert.ok(expected.length > 50, `the mix fires the rules (${expected.length})`);
    assert.ok(
      new Set(expected.map((d) => d.rule)).size >= 5,
      'every kind of rule in the mix fires (brute force, credential stuffing, ddos, errors, latency, ...)',
    );

    const nodes = [await start('a'), await start('b'), await start('c')];
    // Wait until the partitions are spread over the three (each owns some).
    await until('the partitions to be shared by three instances', async () => {
      const parts = await clusterParts(nodes[0]!);
      const owners = new Set(parts?.map((p) => p.owner));
      return parts && parts.every((p) => p.owner) && owners.size === 3;
    });

    const batch = 40;
    const batches: (typeof events)[] = [];
    for (let i = 0; i < events.length; i += batch) batches.push(events.slice(i, i + batch));
    const killAt = Math.floor(batches.length * 0.4);
    let live = nodes.slice();
    let turn = 0;
    for (let i = 0; i < batches.length; i++) {
      if (i === killAt) {
        await nodes[1]!.kill9();
        live = live.filter((n) => n !== nodes[1]);
      }
      const node = live[turn++ % live.length]!;
      const r = await call(node.url, 'POST', '/api/v1/events', batches[i]);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body?.accepted, batches[i]!.length);
    }

    // Done when every partition has an owner again and each has processed its last entry.
    await until(
      'every partition to be owned and processed to its end',
      async () => {
        const parts = await clusterParts(nodes[0]!);
        return parts && parts.every((p) => p.owner && p.owner !== 'b' && p.committed_id === p.last_id);
      },
      90_000,
    );

    const c = new pg.Client({ connectionString: db.databaseUrl });
    await c.connect();
    try {
      // Handling (incident, actions) follows the commit: wait for the last one.
      await until('every committed detection to be handled', async () => {
        const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM cluster_detections WHERE handled_at IS NULL`);
        return r.rows[0]!.n === 0;
      });
      // GET /api/v1/detections (paged), through a surviving instance.
      const got: { rule: string; key: string; at: string; value: number; incident_id: string | null }[] = [];
      let cursor: string | null = null;
      do {
        const page = await call(
          nodes[2]!.url,
          'GET',
          `/api/v1/detections?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        assert.equal(page.status, 200, JSON.stringify(page.body));
        got.push(...(page.body!.items as typeof got));
        cursor = page.body!.next_cursor as string | null;
      } while (cursor);
      const sortKey = (d: { rule: string; key: string; at: string }) => `${d.at} ${d.rule} ${d.key}`;
      assert.deepEqual(got.map(sortKey).sort(), expected.map(sortKey).sort(), 'same rules, keys and times as one process, each once');
      assert.deepEqual(
        got.map((d) => `${sortKey(d)} ${d.value}`).sort(),
        expected.map((d) => `${sortKey(d)} ${d.value}`).sort(),
        'same values',
      );
      // Each detection is on exactly one incident's timeline, once (opened, signal or reopened).
      const evidence = (
        await c.query<{ k: string; n: number; kinds: string }>(
          `SELECT concat_ws(' ', data->'evidence'->>'at', data->'evidence'->>'rule', data->'evidence'->>'key') AS k, count(*)::int AS n, string_agg(kind || '@' || incident_id || ' ' || actor, ',') AS kinds
             FROM incident_timeline WHERE data->>'source' LIKE 'rule:%' AND data ? 'evidence' GROUP BY 1`,
        )
      ).rows;
      assert.deepEqual(
        evidence.filter((e) => e.n !== 1),
        [],
        'no detection recorded twice',
      );
      // The timeline writes six fraction digits; replay drops trailing zeros.
      const trim = (k: string) => k.replace(/\.(\d*?)0+Z/, '.$1Z').replace('.Z', 'Z');
      assert.deepEqual(evidence.map((e) => trim(e.k)).sort(), expected.map(sortKey).sort(), 'every detection is on a timeline');
    } finally {
      await c.end();
    }
  });

  test('a ban created through one instance is on the other instances’ bouncer API', async () => {
    const [a, , c] = servers;
    const tok = await call(a!.url, 'POST', '/api/v1/tokens', { role: 'bouncer', name: 'fw-cluster' });
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    const key = tok.body!.token as string;
    const made = await call(a!.url, 'POST', '/api/v1/decisions', { scope: 'ip', value: '192.0.2.77', duration: '1h' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const t0 = performance.now();
    const seen = await until(
      'the ban on the other instance',
      async () => {
        const r = await fetch(`${c!.url}/v1/decisions?ip=192.0.2.77`, { headers: { 'x-api-key': key } });
        const body = (await r.json()) as { value: string }[] | null;
        return body?.some((d) => d.value === '192.0.2.77') ? performance.now() - t0 : undefined;
      },
      5_000,
    );
    console.log(`# ban visible on another instance after ${seen.toFixed(1)} ms`);
  });

  test('a token revoked through one instance is refused by the others at once', async () => {
    const [a, , c] = servers;
    const made = await call(a!.url, 'POST', '/api/v1/tokens', { role: 'viewer', name: 'short-lived' });
    assert.equal(made.status, 201);
    const viewer = { authorization: `Bearer ${made.body!.token as string}` };
    // Used on c first, so c has it in its token cache.
    assert.equal((await call(c!.url, 'GET', '/api/v1/incidents', undefined, viewer)).status, 200);
    assert.equal((await call(a!.url, 'DELETE', `/api/v1/tokens/${made.body!.id as string}`)).status, 200);
    const t0 = performance.now();
    const gone = await until(
      'the revoked token to be refused on another instance',
      async () => ((await call(c!.url, 'GET', '/api/v1/incidents', undefined, viewer)).status === 401 ? performance.now() - t0 : undefined),
      4_000,
    );
    console.log(`# revocation effective on another instance after ${gone.toFixed(1)} ms (token cache TTL is 5 s)`);
  });
});

describe('cluster: Redis unreachable', () => {
  test('ingest answers 503 with Retry-After (never 202) while Redis is down, and resumes by itself', async () => {
    const port = await freePort();
    const redisDir = mkdtempSync(path.join(dir, 'redis-'));
    const startRedis = () => {
      const r = spawnSync('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'yes',
        '--dir',
        redisDir,
      ]);
      assert.equal(r.status, 0, `redis-server did not start: ${r.stderr}`);
    };
    const stopRedis = () => spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    startRedis();
    try {
      const url = `redis://127.0.0.1:${port}`;
      await until('redis to answer', async () =>
        spawnSync('redis-cli', ['-p', String(port), 'ping'])
          .stdout.toString()
          .includes('PONG'),
      );
      const s = await start('solo', `${PREFIX}-solo`, url);
      const ev = [{ type: 'auth.login_failed', ts: new Date().toISOString(), ip: '192.0.2.9' }];
      await until('ingest to accept', async () => (await call(s.url, 'POST', '/api/v1/events', ev)).status === 202);

      stopRedis();
      const down = await until('ingest to refuse', async () => {
        const r = await call(s.url, 'POST', '/api/v1/events', ev);
        assert.notEqual(r.status, 202, 'nothing is accepted while Redis is down');
        return r.status === 503 ? r : undefined;
      });
      assert.ok(Number(down.headers.get('retry-after')) > 0, 'Retry-After is set');
      const h = await call(s.url, 'GET', '/api/health/detailed');
      const redisPart = (h.body?.components as Record<string, { status: string }>).redis!;
      assert.equal(redisPart.status, 'degraded');
      for (let i = 0; i < 5; i++) assert.equal((await call(s.url, 'POST', '/api/v1/events', ev)).status, 503);

      startRedis();
      await until('ingest to accept again', async () => (await call(s.url, 'POST', '/api/v1/events', ev)).status === 202, 30_000);
      const again = await call(s.url, 'GET', '/api/health/detailed');
      assert.equal((again.body?.components as Record<string, { status: string }>).redis!.status, 'ok');
    } finally {
      stopRedis();
    }
  });
});
