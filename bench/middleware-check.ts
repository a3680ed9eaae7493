// Middleware check cost with 100,000 active bans (docs/design.md target: < 1 µs).
//
//   node --import tsx bench/middleware-check.ts
//
// Loads 100,000 decisions (exact IPv4, exact IPv6 and a few hundred IPv4/IPv6
// ranges spread over several prefix lengths, so a miss pays one lookup per
// prefix length present) through the guard's stream-apply hook, then times
// millions of check(ip) calls per case and prints the median of several
// rounds (this machine is shared, so single rounds are noisy). Addresses come
// from fixed arrays of flat strings, as a real server's socket addresses do
// (Node builds them in C++ and caches them per connection).
import { pathToFileURL } from 'node:url';
import { createGuard, expressGuard, type Decision, type Guard } from '../sdk/index.js';

const BANS = 100_000;
const RANGES4 = 300;
const RANGES6 = 200;
const EXACT6 = 30_000;
const EXACT4 = BANS - RANGES4 - RANGES6 - EXACT6;
const ROUNDS = 7;
const CALLS_PER_ROUND = 1_000_000;
const TARGET_NS = 1000;

/** Deterministic PRNG (mulberry32), so every run measures the same set. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const rand = rng(42);
const ip4 = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const rand4 = (): string => ip4(((1 + (rand() % 222)) << 24) | (rand() & 0xffffff));
const hex = (): string => (rand() & 0xffff).toString(16);
const rand6 = (): string => `2a0${rand() % 10}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}`;

function decision(id: number, scope: 'Ip' | 'Range', value: string): Decision {
  return { id, origin: 'bench', type: 'ban', scope, value, duration: '3h59m58.5s', scenario: 'brute_force_attempt' };
}

function buildDecisions(): { decisions: Decision[]; exact4: string[]; exact6: string[]; ranges4: string[] } {
  const decisions: Decision[] = [];
  const exact4: string[] = [];
  const exact6: string[] = [];
  const ranges4: string[] = [];
  let id = 1;
  for (let i = 0; i < EXACT4; i++) {
    const v = rand4();
    exact4.push(v);
    decisions.push(decision(id++, 'Ip', v));
  }
  for (let i = 0; i < EXACT6; i++) {
    const v = rand6();
    exact6.push(v);
    decisions.push(decision(id++, 'Ip', v));
  }
  const prefixes4 = [16, 20, 24, 28];
  for (let i = 0; i < RANGES4; i++) {
    const base = rand4();
    ranges4.push(base);
    decisions.push(decision(id++, 'Range', `${base}/${prefixes4[i % prefixes4.length]}`));
  }
  const prefixes6 = [32, 48, 56, 64];
  for (let i = 0; i < RANGES6; i++) decisions.push(decision(id++, 'Range', `${rand6()}/${prefixes6[i % prefixes6.length]}`));
  return { decisions, exact4, exact6, ranges4 };
}

/** Picks `n` addresses from `make()` that give `want` for the guard. */
function sample(guard: Guard, n: number, make: () => string, want: 'ban' | 'allow'): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const ip = make();
    if (guard.check(ip).action === want) out.push(ip);
  }
  return out;
}

/** A flat (sequential) copy of a string, like the ones Node hands out; template literals make cons strings. */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

/** Median and best ns per call of `fn` over ROUNDS rounds. */
function timeNs(fn: (ip: string) => unknown, input: string[]): { median: number; best: number } {
  const ips = input.map(flat);
  const mask = ips.length - 1; // power of two
  let sink = 0;
  for (let i = 0; i < 300_000; i++) if (fn(ips[i & mask]!) !== undefined) sink++; // warm up / optimize
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_ROUND; i++) if (fn(ips[i & mask]!) !== undefined) sink++;
    rounds.push(Number(process.hrtime.bigint() - t0) / CALLS_PER_ROUND);
  }
  if (sink === -1) console.log(sink);
  rounds.sort((a, b) => a - b);
  return { median: rounds[ROUNDS >> 1]!, best: rounds[0]! };
}

export interface CheckFigure {
  case: string;
  /** Median over the rounds, ns per call. */
  nsPerCall: number;
  /** Fastest round, ns per call. */
  bestNs: number;
}

/** Runs the benchmark, prints a table and returns the figures. */
export async function main(): Promise<CheckFigure[]> {
  const { decisions, exact4, exact6, ranges4 } = buildDecisions();
  const guard = createGuard({ url: 'http://127.0.0.1:1', apiKey: 'bench' });
  const t0 = performance.now();
  guard._apply({ new: decisions, deleted: null }, true);
  const loadMs = performance.now() - t0;
  const held = guard.size();

  const N = 1024;
  const pick = (arr: string[]): string[] => Array.from({ length: N }, () => arr[rand() % arr.length]!);
  const hit4 = pick(exact4);
  const range4 = pick(ranges4)
    .map((b) => b.replace(/\.\d+$/, '.1'))
    .filter((ip) => guard.check(ip).action === 'ban');
  while (range4.length < N) range4.push(range4[range4.length % Math.max(1, range4.length)]!);
  const miss4 = sample(guard, N, rand4, 'allow');
  const mapped4 = miss4.map((ip) => `::ffff:${ip}`);
  const hit6 = pick(exact6);
  const miss6 = sample(guard, N, rand6, 'allow');

  const check = (ip: string): unknown => guard.check(ip);
  const baseline = new Map(exact4.map((ip) => [ip, true]));
  const middleware = expressGuard(guard);
  const noop = (): void => {};
  const reqs = miss4.map((ip) => ({ socket: { remoteAddress: flat(`::ffff:${ip}`) }, headers: {} }));
  let r = 0;
  const viaMiddleware = (): unknown => middleware(reqs[(r = (r + 1) & (N - 1))] as never, {} as never, noop);

  const cases: [string, (ip: string) => unknown, string[]][] = [
    ['IPv4 exact hit (ban)', check, hit4],
    ['IPv4 range hit (ban)', check, range4],
    ['IPv4 miss (allow)', check, miss4],
    ['IPv4-mapped ::ffff:a.b.c.d miss', check, mapped4],
    ['IPv6 exact hit (ban)', check, hit6],
    ['IPv6 miss (allow)', check, miss6],
    ['expressGuard middleware, miss', viaMiddleware, miss4],
    ['baseline: Map.get(string)', (ip) => baseline.get(ip), hit4],
  ];
  const figures: CheckFigure[] = cases.map(([name, fn, ips]) => {
    const t = timeNs(fn, ips);
    return { case: name, nsPerCall: t.median, bestNs: t.best };
  });

  const levels = '/32 /28 /24 /20 /16 (IPv4), /128 /64 /56 /48 /32 (IPv6)';
  console.log(
    `middleware check: ${held.toLocaleString('en')} active decisions loaded in ${loadMs.toFixed(0)} ms; prefix lengths ${levels}`,
  );
  console.log(`${ROUNDS} rounds x ${CALLS_PER_ROUND.toLocaleString('en')} calls per case, Node ${process.version}\n`);
  console.log(`  ${'case'.padEnd(34)} ${'median'.padStart(9)} ${'best'.padStart(9)}`);
  for (const f of figures) {
    const verdict = f.case.startsWith('baseline') ? '' : f.nsPerCall < TARGET_NS ? 'ok' : 'OVER TARGET';
    console.log(`  ${f.case.padEnd(34)} ${f.nsPerCall.toFixed(1).padStart(6)} ns ${f.bestNs.toFixed(1).padStart(6)} ns  ${verdict}`);
  }
  console.log(`\n  target: < ${TARGET_NS} ns per check with ${BANS.toLocaleString('en')} active bans`);
  guard.stop();
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
