/**
 * Cluster mode (docs/cluster.md): 1 and 3 `firebreak serve` processes on one
 * PostgreSQL server and Redis (a key prefix per run, deleted after).
 *
 * - ingest: one sender per instance posts batches of 2,000 events (the attack
 *   mostly benign traffic, as bench/ingest.ts) for a fixed time; events/s accepted,
 *   then the time until every partition has processed its last entry
 *   (events/s detected end to end), and the server CPU (user + system, all
 *   instances, from /proc) per event;
 * - failover (3 instances): SIGKILL one, time until all its partitions have a
 *   new owner and everything is processed.
 *
 * Figures on a shared 2-core machine are noisy: compare runs, not absolutes.
 * Usage: node --import tsx bench/cluster.ts [--seconds 5]
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type ServerProcess } from '../test/support/process.ts';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { makeBatch } from './benign-traffic.ts';
import { deleteRedisPrefix } from '../test/support/redis-keys.ts';

const ADMIN = 'bench-admin-token-0123456789abcdef0123456789';
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TICKS = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime
}

async function health(s: ServerProcess): Promise<{ owner: string | null; last_id: string; committed_id: string }[]> {
  const r = await fetch(`${s.url}/api/health/detailed`);
  const b = (await r.json()) as {
    components: { cluster?: { partitions?: { owner: string | null; last_id: string; committed_id: string }[] } };
  };
  return b.components.cluster?.partitions ?? [];
}

async function waitFor(fn: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

async function run(n: number, seconds: number): Promise<void> {
  const prefix = `fbbench-${randomBytes(4).toString('hex')}`;
  const db = await createTestDatabase('server', { TEST_DATABASE_URL: PG_URL });
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-bench-cluster-'));
  const nodes: ServerProcess[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const cfg = path.join(dir, `i${i}.yaml`);
      writeFileSync(cfg, `instance: bench${i}\ncluster:\n  key_prefix: ${prefix}\nevents:\n  store: none\n`);
      nodes.push(
        await startServer({
          cwd: dir,
          args: ['--data-dir', path.join(dir, `d${i}`)],
          env: { DATABASE_URL: db.databaseUrl!, REDIS_URL, FIREBREAK_CONFIG: cfg, FIREBREAK_ADMIN_TOKEN: ADMIN },
          timeoutMs: 60_000,
        }),
      );
    }
    await waitFor(async () => {
      const parts = await health(nodes[0]!);
      return parts.length > 0 && parts.every((p) => p.owner) && new Set(parts.map((p) => p.owner)).size === n;
    });
    // Event time in order across all senders: batches are taken from one sequence.
    const clock = { ms: Date.now() - 3_600_000 };
    const batches = Array.from({ length: 200 }, (_, k) => makeBatch(2000, k, clock));
    let next = 0;
    let sent = 0;
    const cpu0 = nodes.map((s) => cpuSeconds(s.proc.pid!));
    const t0 = performance.now();
    const stopAt = t0 + seconds * 1000;
    await Promise.all(
      nodes.map(async (s) => {
        while (performance.now() < stopAt && next < batches.length) {
          const body = batches[next++]!;
          const r = await fetch(`${s.url}/api/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-ndjson' },
            body,
          });
          const j = (await r.json()) as { accepted?: number };
          if (r.status !== 202) throw new Error(`ingest answered ${r.status}`);
          sent += j.accepted ?? 0;
        }
      }),
    );
    const tIngest = (performance.now() - t0) / 1000;
    await waitFor(async () => (await health(nodes[0]!)).every((p) => p.committed_id === p.last_id));
    const tDone = (performance.now() - t0) / 1000;
    const cpu = nodes.reduce((a, s, i) => a + cpuSeconds(s.proc.pid!) - cpu0[i]!, 0);
    console.log(
      `${n} instance(s): ${Math.round(sent / tIngest)} events/s accepted, ${Math.round(sent / tDone)} events/s detected end to end ` +
        `(${sent} events, ${tDone.toFixed(1)} s), server CPU ${((cpu / sent) * 1e6).toFixed(1)} µs/event`,
    );
    if (n > 1) {
      const victim = nodes[n - 1]!;
      const before = await health(nodes[0]!);
      const moving = before.filter((p) => p.owner === `bench${n - 1}`).length;
      console.log(`owners before the kill: ${before.map((p) => p.owner).join(' ')}`);
      const k0 = performance.now();
      await victim.kill9();
      await waitFor(async () => {
        const parts = await health(nodes[0]!);
        return parts.every((p) => p.owner && p.owner !== `bench${n - 1}`);
      });
      console.log(`failover: ${moving} partitions moved ${((performance.now() - k0) / 1000).toFixed(2)} s after SIGKILL (lease 3 s)`);
    }
  } finally {
    for (const s of nodes) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
    await deleteRedisPrefix(REDIS_URL, prefix);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  const seconds = arg('seconds', 5);
  for (const n of [1, 3]) await run(n, seconds);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
