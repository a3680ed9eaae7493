/**
 * Benchmarks (b) HTTP ingestion and (c) detection latency against a real
 * `firebreak serve` process on loopback, with all default rules on.
 *
 * (b) A separate load process posts batched NDJSON (1,000 events per request by
 *     default, `--connections` requests in flight as wrk would, event time in
 *     order; the batches are made ahead in a thread of its own) for a fixed time
 *     and counts accepted events per second. A 202 means the events are stored
 *     (group commit: requests in flight together share one transaction).
 *     Run twice: storing matched events (the default) and with `events.store: none`
 *     (detection only), so the cost of durable storage is visible.
 * (c) Posts 4 failed logins for a fresh address, then the 5th, and measures
 *     from the 5th's 202 until the ban is on the bouncer API (`GET /v1/decisions`,
 *     docs/design.md's measure) and until the incident is listed: p50/p99, on an idle
 *     server and right after the load run (event storage still catching up).
 *
 * Usage: node --import tsx bench/ingest.ts [--seconds 10] [--samples 50] [--batch 1000] [--connections 8]
 * On the embedded database by default; BENCH_DATABASE_URL=postgres://... runs
 * against that PostgreSQL server instead (a fresh database per run, dropped after).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from '../test/support/process.ts';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { makeBatch } from './benign-traffic.ts';

const ADMIN = 'bench-admin-token-0123456789abcdef0123456789';
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

/**
 * Makes batches ahead of the sender in a worker thread of the load process,
 * so the server never waits while the next batch is being written (it did,
 * with one sender building each batch between requests: 13 ms a batch).
 */
const GENERATOR = `
const { parentPort } = require('node:worker_threads');
const clock = { ms: Date.now() - 3_600_000 };
${makeBatch.toString()}
let k = 0;
const size = Number(process.env.BENCH_BATCH || 1000);
parentPort.on('message', (n) => { for (let i = 0; i < n; i++) parentPort.postMessage(makeBatch(size, k++, clock)); });
`;

/** The load process: posts batches for `seconds`, reports accepted events. */
async function loadWorker(url: string, token: string, seconds: number, connections: number): Promise<void> {
  const { Worker } = await import('node:worker_threads');
  const gen = new Worker(GENERATOR, { eval: true });
  let slowest = 0;
  const ready: string[] = [];
  const waiting: (() => void)[] = [];
  gen.on('message', (b: string) => {
    ready.push(b);
    waiting.shift()?.();
  });
  gen.postMessage(4 * connections); // keep batches ready
  const nextBatch = async (): Promise<string> => {
    while (ready.length === 0) await new Promise<void>((r) => waiting.push(r));
    gen.postMessage(1);
    return ready.shift()!;
  };
  await nextBatch().then((b) => ready.unshift(b)); // the first batches exist before the clock starts
  const end = Date.now() + seconds * 1000;
  let accepted = 0;
  let refused = 0;
  const t0 = performance.now();
  // `connections` senders, as wrk's connections: requests in flight together are stored by one transaction.
  const sender = async () => {
    while (Date.now() < end) {
      const body = await nextBatch();
      const s0 = performance.now();
      const res = await fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      const out = (await res.json()) as { accepted?: number };
      slowest = Math.max(slowest, performance.now() - s0);
      if (res.status === 202) accepted += out.accepted ?? 0;
      else {
        refused++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, sender));
  const secs = (performance.now() - t0) / 1000;
  await gen.terminate();
  process.send!({ accepted, refused, seconds: secs, slowest });
}

interface LoadResult {
  accepted: number;
  refused: number;
  seconds: number;
  slowest: number;
}

/** The load generator: Debian's wrk when installed (as the issue measures; it leaves the server nearly both cores), else a Node process. */
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

async function runLoad(url: string, seconds: number): Promise<LoadResult> {
  if (WRK) return runWrk(WRK, url, seconds);
  const child = fork(fileURLToPath(import.meta.url), ['--worker', url, ADMIN, String(seconds), String(arg('connections', 8))], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_BATCH: String(arg('batch', 1000)) },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
  });
}

/** wrk with bench/wrk-events.lua: batches made on the fly in wrk's Lua, event time in order from an hour ago. */
async function runWrk(wrk: string, url: string, seconds: number): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./wrk-events.lua', import.meta.url));
  const args = ['-t1', `-c${arg('connections', 8)}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url];
  const out = await new Promise<string>((resolve, reject) => {
    execFile(wrk, [...args, '--', ADMIN, String(arg('batch', 1000)), String(Date.now() - 3_600_000)], (err, stdout, stderr) =>
      err ? reject(new Error(`wrk failed: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
  const m = /RESULT accepted=(\d+) refused=(\d+) seconds=([\d.]+) slowest_ms=([\d.]+) errors=(\d+)/.exec(out);
  if (!m) throw new Error(`wrk printed no result:\n${out}`);
  if (Number(m[5]) > 0) throw new Error(`wrk saw ${m[5]} socket errors or timeouts:\n${out}`);
  return { accepted: Number(m[1]), refused: Number(m[2]), seconds: Number(m[3]), slowest: Number(m[4]) };
}

interface Latency {
  /** Until the ban was written (its `created_at`, same machine clock): the detection path alone, no polling in the way. */
  decided: { p50: number; p99: number };
  /** Until a bouncer polling every 2 ms sees the ban on the CrowdSec-compatible API (docs/design.md's measure). */
  ban: { p50: number; p99: number };
  /** Until the incident is listed by the API. */
  incident: { p50: number; p99: number };
}

const WARMUP = 10;

/**
 * Polls `check` every 2 ms until it says yes; returns the milliseconds since `t0`.
 * Not in a tight loop: the polls would queue ahead of the work they wait for.
 */
async function until(t0: number, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function latency(url: string, samples: number, tag: number): Promise<Latency> {
  const h = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const bouncer = { 'x-api-key': ADMIN };
  const decided: number[] = [];
  const ban: number[] = [];
  const incident: number[] = [];
  // The first detections of a fresh process run cold code (JIT): WARMUP samples are taken and not counted.
  for (let s = -WARMUP; s < samples; s++) {
    // One address per /24: eight banned addresses of one campaign in a /24 become a range ban, which would
    // answer for every later sample in it before its own ban is written.
    const ip = `172.${16 + tag}.${s + WARMUP}.9`;
    const ev = (k: number) => ({ type: 'auth.login_failed', ts: new Date(Date.now() + k).toISOString(), ip });
    await fetch(`${url}/api/v1/events`, { method: 'POST', headers: h, body: JSON.stringify([ev(0), ev(1), ev(2), ev(3)]) });
    const sentAt = Date.now();
    const t0 = performance.now();
    await fetch(`${url}/api/v1/events`, { method: 'POST', headers: h, body: JSON.stringify([ev(4)]) });
    const b = await until(
      t0,
      async () => ((await (await fetch(`${url}/v1/decisions?ip=${ip}`, { headers: bouncer })).json()) as unknown[] | null) !== null,
    );
    const i = await until(
      t0,
      async () =>
        (
          (await (await fetch(`${url}/api/v1/incidents?type=brute_force_attempt&q=${ip}&limit=1`, { headers: h })).json()) as {
            items: unknown[];
          }
        ).items.length > 0,
    );
    if (s < 0) continue;
    const made = ((await (await fetch(`${url}/api/v1/decisions?ip=${ip}`, { headers: h })).json()) as { items: { created_at: string }[] })
      .items[0]!;
    decided.push(Date.parse(made.created_at) - sentAt);
    ban.push(b);
    incident.push(i);
  }
  const pct = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    const pick = (p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    return { p50: pick(50), p99: pick(99) };
  };
  return { decided: pct(decided), ban: pct(ban), incident: pct(incident) };
}

function printLatency(when: string, l: Latency, samples: number): void {
  const f = (x: { p50: number; p99: number }) => `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms`;
  console.log(
    `5th failed login sent (${when}, ${samples} samples) → ban written: ${f(l.decided)}; → seen by a bouncer polling every 2 ms: ${f(l.ban)}; → incident listed: ${f(l.incident)}`,
  );
}

/**
 * The same batches posted in-process (Fastify inject: no socket, no load
 * process sharing the two cores), detection only: what the server's own
 * work allows, to compare with the figure over loopback.
 */
async function inProcess(batchCount: number): Promise<number> {
  const { startTestFirebreak } = await import('../src/test-harness.ts');
  const t = await startTestFirebreak('embedded', { configYaml: { events: { store: 'none' } } });
  try {
    const token = await t.makeToken('ingest');
    const clock = { ms: Date.now() - 3_600_000 };
    // Fresh batches, event time moving on (a batch sent twice would be a flood of repeats), made before the clock starts.
    const batches = Array.from({ length: batchCount }, (_, k) => makeBatch(10_000, k, clock));
    let accepted = 0;
    const t0 = performance.now();
    for (const payload of batches) {
      const r = await t.fb.app.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        payload,
      });
      if (r.statusCode !== 202) throw new Error(`in-process ingestion answered ${r.statusCode}: ${r.body}`);
      accepted += (JSON.parse(r.body) as { accepted: number }).accepted;
    }
    return accepted / ((performance.now() - t0) / 1000);
  } finally {
    await t.close();
  }
}

export async function main(): Promise<Record<string, number>> {
  console.log(
    `database: ${process.env.BENCH_DATABASE_URL ? `PostgreSQL server (${new URL(process.env.BENCH_DATABASE_URL).host}), a fresh database per run` : 'embedded (PGlite), the default; set BENCH_DATABASE_URL for a PostgreSQL server'}`,
  );
  const seconds = arg('seconds', 10);
  const samples = arg('samples', 50);
  if (samples + WARMUP > 256) throw new Error(`--samples: at most ${256 - WARMUP} (one address per /24 of 172.16-17.x.9)`);
  const results: Record<string, number> = {};
  for (const store of ['matched', 'none'] as const) {
    const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-bench-'));
    const cfg = path.join(dir, 'fb.yaml');
    writeFileSync(cfg, `events: { store: ${store} }\nlog_level: warn\n`);
    const server = process.env.BENCH_DATABASE_URL
      ? await createTestDatabase('server', { TEST_DATABASE_URL: process.env.BENCH_DATABASE_URL })
      : null;
    const srv = await startServer({
      cwd: dir,
      env: {
        FIREBREAK_ADMIN_TOKEN: ADMIN,
        FIREBREAK_DATA_DIR: dir,
        FIREBREAK_CONFIG: cfg,
        ...(server ? { DATABASE_URL: server.databaseUrl } : {}),
      },
      timeoutMs: 60_000,
    });
    try {
      if (store === 'matched') {
        const l = await latency(srv.url, samples, 0);
        results.sent_to_ban_written_idle_p99_ms = l.decided.p99;
        results.sent_to_ban_seen_idle_p99_ms = l.ban.p99;
        printLatency('idle server', l, samples);
      }
      const r = await runLoad(srv.url, seconds);
      const rate = r.accepted / r.seconds;
      results[`ingest_events_per_s_store_${store}`] = Math.round(rate);
      results[`ingest_slowest_answer_ms_store_${store}`] = Math.round(r.slowest);
      console.log(
        `ingestion (events.store=${store}, ${arg('batch', 1000)}-event batches, ${arg('connections', 8)} connections, load by ${WRK ? 'wrk' : 'a Node process'}): ${Math.round(rate).toLocaleString('en')} events/s accepted over ${r.seconds.toFixed(1)} s (${r.refused} batches answered 429/503; slowest answer ${r.slowest.toFixed(0)} ms)`,
      );
      if (store === 'matched') {
        const l = await latency(srv.url, samples, 1);
        results.sent_to_ban_written_after_load_p99_ms = l.decided.p99;
        results.sent_to_ban_seen_after_load_p99_ms = l.ban.p99;
        printLatency('right after the load, storage catching up', l, samples);
      }
    } finally {
      await srv.stop();
      await server?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const local = await inProcess(80);
  results.ingest_events_per_s_in_process = Math.round(local);
  console.log(
    `in-process, no HTTP socket and no load process (events.store=none): ${Math.round(local).toLocaleString('en')} events/s: the server's own work; the rest of the gap above is the 2 cores shared with the load process and the loopback transfer`,
  );
  return results;
}

if (process.argv[2] === '--worker') {
  await loadWorker(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6] ?? 8));
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
