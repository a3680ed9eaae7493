// The Python guard's check(ip) with 100,000 active decisions (goal: < 2 µs
// per check on CPython), printed next to the Node guard's figure on the very
// same decisions and addresses.
//
//   node --import tsx bench/python-guard.ts        (npm run bench -- python-guard)
//
// bench/python_guard_check.py builds the decisions (exact IPv4 and IPv6, a
// few hundred ranges over several prefix lengths, as bench/middleware-check.ts
// does), times the Python guard and writes the decisions and per-case
// addresses to a file; this script then loads them into the Node guard and
// times the same cases. Both sides count CPU time of the timing thread, not
// wall time: this machine is shared, and time spent descheduled is not the
// cost of a check. Medians of several rounds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGuard, type Decision } from '../sdk/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const PY_TARGET_NS = 2000;
const NODE_ROUNDS = 7;
const NODE_CALLS = 500_000;

interface PyFigure {
  case: string;
  nsPerCall: number;
  bestNs: number;
  pythonOnly?: boolean;
}
interface PyResult {
  python: string;
  implementation: string;
  held: number;
  loadMs: number;
  rounds: number;
  calls: number;
  figures: PyFigure[];
}

/** Median ns of CPU time per call of guard.check over the addresses. */
function nodeNs(check: (ip: string) => unknown, ips: string[]): number {
  const flat = ips.map((s) => Buffer.from(s, 'latin1').toString('latin1'));
  const n = flat.length;
  let sink = 0;
  for (let i = 0; i < 300_000; i++) if (check(flat[i % n]!) !== undefined) sink++;
  const rounds: number[] = [];
  for (let r = 0; r < NODE_ROUNDS; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < NODE_CALLS; i++) if (check(flat[i % n]!) !== undefined) sink++;
    const d = process.cpuUsage(t0);
    rounds.push(((d.user + d.system) * 1000) / NODE_CALLS);
  }
  if (sink === -1) console.log(sink);
  rounds.sort((a, b) => a - b);
  return rounds[NODE_ROUNDS >> 1]!;
}

export async function main(): Promise<{ python: PyFigure[]; nodeNs: Record<string, number> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-pybench-'));
  try {
    const data = path.join(dir, 'data.json');
    const run = spawnSync(PYTHON, [path.join(HERE, 'python_guard_check.py'), data], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`${PYTHON} bench/python_guard_check.py failed (${run.status}):\n${run.stderr}`);
    const py = JSON.parse(run.stdout) as PyResult;
    const { decisions, cases } = JSON.parse(readFileSync(data, 'utf8')) as { decisions: Decision[]; cases: Record<string, string[]> };

    const guard = createGuard({ url: 'http://127.0.0.1:1', apiKey: 'bench' });
    guard._apply({ new: decisions, deleted: null }, true);
    const check = (ip: string): unknown => guard.check(ip);
    const node: Record<string, number> = {};
    for (const [name, ips] of Object.entries(cases)) node[name] = nodeNs(check, ips);
    guard.stop();

    console.log(
      `python guard check: ${py.held.toLocaleString('en')} active decisions (loaded in ${py.loadMs.toFixed(0)} ms), ` +
        `${py.implementation} ${py.python} vs Node ${process.version}; CPU ns per call, median of ${py.rounds} rounds\n`,
    );
    console.log(`  ${'case'.padEnd(36)} ${'Python'.padStart(9)} ${'Node'.padStart(9)}`);
    for (const f of py.figures) {
      const n = node[f.case];
      const verdict = f.case.startsWith('baseline') ? '' : f.nsPerCall < PY_TARGET_NS ? 'ok' : 'OVER TARGET';
      console.log(
        `  ${f.case.padEnd(36)} ${f.nsPerCall.toFixed(0).padStart(6)} ns ${n === undefined ? '        -' : `${n.toFixed(0).padStart(6)} ns`}  ${verdict}`,
      );
    }
    console.log(`\n  target: < ${PY_TARGET_NS} ns per Python check with 100,000 active decisions`);
    return { python: py.figures, nodeNs: node };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
