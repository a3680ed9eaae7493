/**
 * Benchmark (docs/design.md "Performance targets"): `firebreak replay` of an sshd
 * log must read >= 30x the lines per second of `fail2ban-regex` with the
 * stock sshd filter, on the same file, on the same machine, in the same run.
 *
 *   node --import tsx bench/replay-vs-fail2ban.ts [--lines 1000000] [--keep] [--direct]
 *
 * Generates a realistic auth.log (failed passwords, invalid users, accepted
 * logins, pam_unix noise, connection closed/disconnected, cron and systemd
 * lines, a few `message repeated`; attackers drawn from a skewed IPv4/IPv6
 * pool so some cross the brute-force threshold; traditional timestamps),
 * then times both tools as whole processes (wall clock, start-up included),
 * paired in time: fail2ban-regex on five consecutive parts of the file,
 * firebreak on the whole file before and after each part (see main).
 * `firebreak replay` runs as `node bin/firebreak.js replay` once the CLI has
 * the command, else (or with --direct) as the replay module alone via tsx.
 * Needs `fail2ban-regex`: installs Debian's `fail2ban` when missing (as root).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { seededRandom as rng } from '../src/domain/seeded-random.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const F2B_FILTER = '/etc/fail2ban/filter.d/sshd.conf';
const TIME_BIN = '/usr/bin/time';
const CPU_MARK = '__bench_cpu__';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Writes `lines` sshd syslog lines to `file`, starting Mar 1 of `year`. */
export function generateSshdLog(file: string, lines: number, year: number): void {
  const r = rng(42);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const v4 = Array.from(
    { length: 20_000 },
    () => `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
  );
  const v6 = Array.from(
    { length: 3_000 },
    () => `2001:db8:${Math.floor(r() * 65536).toString(16)}::${Math.floor(r() * 65536).toString(16)}`,
  );
  // Skewed: a few attackers are very busy, most are rare.
  const attacker = () => (r() < 0.15 ? v6[Math.floor(r() ** 3 * v6.length)]! : v4[Math.floor(r() ** 3 * v4.length)]!);
  const badUsers = ['admin', 'test', 'oracle', 'ubuntu', 'postgres', 'git', 'user', 'support', 'guest', 'ftpuser', 'pi', 'deploy', ''];
  const staff = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const staffIps = ['192.0.2.10', '192.0.2.11', '198.51.100.20', '2001:db8:cafe::1'];
  let ms = Date.UTC(year, 2, 1);
  const fd = openSync(file, 'w');
  let buf = '';
  for (let i = 0; i < lines; i++) {
    ms += Math.floor(r() * 250);
    const d = new Date(ms);
    const ts = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    const pid = 1000 + Math.floor(r() * 60000);
    const port = 1024 + Math.floor(r() * 64000);
    const x = r();
    let msg: string;
    if (x < 0.3) msg = `sshd[${pid}]: Failed password for invalid user ${pick(badUsers)} from ${attacker()} port ${port} ssh2`;
    else if (x < 0.42) msg = `sshd[${pid}]: Failed password for root from ${attacker()} port ${port} ssh2`;
    else if (x < 0.55) msg = `sshd[${pid}]: Invalid user ${pick(badUsers)} from ${attacker()} port ${port}`;
    else if (x < 0.57)
      msg = `sshd[${pid}]: Accepted publickey for ${pick(staff)} from ${pick(staffIps)} port ${port} ssh2: ED25519 SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s`;
    else if (x < 0.58) msg = `sshd[${pid}]: Accepted password for ${pick(staff)} from ${pick(staffIps)} port ${port} ssh2`;
    else if (x < 0.73)
      msg = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${attacker()}  user=root`;
    else if (x < 0.83) msg = `sshd[${pid}]: Connection closed by invalid user ${pick(badUsers)} ${attacker()} port ${port} [preauth]`;
    else if (x < 0.89) msg = `sshd[${pid}]: Disconnected from authenticating user root ${attacker()} port ${port} [preauth]`;
    else if (x < 0.93) msg = `sshd[${pid}]: Received disconnect from ${attacker()} port ${port}:11: Bye Bye [preauth]`;
    else if (x < 0.96) msg = `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    else if (x < 0.98) msg = `systemd[1]: Started session-${pid}.scope - Session ${pid} of User ${pick(staff)}.`;
    else if (x < 0.99)
      msg = `sshd[${pid}]: Failed publickey for ${pick(staff)} from ${pick(staffIps)} port ${port} ssh2: RSA SHA256:Yb9kW0LxZ1fB6sQq`;
    else msg = `sshd[${pid}]: message repeated 2 times: [ Failed password for root from ${attacker()} port ${port} ssh2]`;
    buf += `${ts} web1 ${msg}\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
}

interface Timed {
  seconds: number;
  /** User + system CPU seconds of the process, when /usr/bin/time is there to tell. */
  cpu?: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

function timeProcess(cmd: string, args: string[], keepStdout: boolean): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // CPU time is a steadier measure than wall time on a shared machine: ask /usr/bin/time for it.
    const timed = existsSync(TIME_BIN);
    const child = timed
      ? spawn(TIME_BIN, ['-f', `${CPU_MARK} %U %S`, cmd, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      if (keepStdout) stdout += b.toString();
      else for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)\\s*$`).exec(stderr);
      const cpu = m ? Number(m[1]) + Number(m[2]) : undefined;
      if (m) stderr = stderr.slice(0, m.index);
      resolve({ seconds, cpu, stdout: keepStdout ? stdout : String(lines), stderr, code });
    });
  });
}

/** True when bin/firebreak.js has the replay command (src/cli/main.ts registers it). */
function cliHasReplay(): boolean {
  const main = path.join(ROOT, 'src/cli/main.ts');
  return existsSync(main) && readFileSync(main, 'utf8').includes('registerReplayCommand');
}

/** The command that runs `firebreak replay`: the real CLI when it has the command (unless `direct`), else this file's replay-only mode. */
function replayCommand(file: string, year: number, direct: boolean): [string, string[], string] {
  const args = ['replay', '--format', 'sshd', '--year', String(year), file];
  if (!direct && cliHasReplay()) return [process.execPath, [path.join(ROOT, 'bin/firebreak.js'), ...args], 'node bin/firebreak.js replay'];
  return [
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--replay-only', ...args.slice(1)],
    'replay module via tsx (no full CLI)',
  ];
}

/** Replay-only mode: `firebreak replay` without the rest of the CLI (used while bin/ is not wired). */
async function replayOnly(args: string[]): Promise<void> {
  const { Command } = await import('commander');
  const { registerReplayCommand } = await import('../src/cli/replay-command.ts');
  const program = new Command('firebreak');
  registerReplayCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env });
  await program.parseAsync(['node', 'firebreak', 'replay', ...args]);
}

/** fail2ban-regex's path; installs Debian's fail2ban when it is missing and apt-get can (root). Null when it cannot be had. */
function findOrInstallFail2ban(): string | null {
  const which = () => spawnSync('sh', ['-c', 'command -v fail2ban-regex'], { encoding: 'utf8' }).stdout.trim();
  let f2b = which();
  if (f2b && existsSync(F2B_FILTER)) return f2b;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log("fail2ban-regex is missing: installing Debian's fail2ban (apt-get install -y fail2ban)...");
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'fail2ban'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    f2b = which();
    if (r.status === 0 && f2b && existsSync(F2B_FILTER)) return f2b;
  }
  console.log(
    'fail2ban-regex or its sshd filter is missing and could not be installed: run `apt-get install -y fail2ban` as root, then run again',
  );
  return null;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Parts fail2ban-regex reads the file in, one run each (see main). */
const SEGMENTS = 5; // odd: the median is one part's ratio

/** The median of `xs` (the mean of the middle two for an even count). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Writes `file`'s lines into `n` consecutive part files of about equal line counts, beside it. */
function splitLines(file: string, n: number): { file: string; lines: number }[] {
  const bytes = readFileSync(file);
  let total = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) total++;
  const parts: { file: string; lines: number }[] = [];
  let start = 0;
  let pos = 0;
  let seen = 0;
  for (let k = 1; k <= n; k++) {
    const want = k === n ? total : Math.round((total * k) / n);
    let count = 0;
    while (seen < want) {
      pos = bytes.indexOf(10, pos) + 1;
      seen++;
      count++;
    }
    const part = `${file}.part${k}`;
    writeFileSync(part, bytes.subarray(start, pos));
    parts.push({ file: part, lines: count });
    start = pos;
  }
  return parts;
}

/** fail2ban-regex's start-up: the fastest of three runs on the file's first line. */
async function fail2banStartup(f2b: string, dir: string, file: string): Promise<number> {
  const one = path.join(dir, 'one-line.log');
  // The first line only: its head, not the whole 110 MB file.
  const head = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'r');
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const nl = head.subarray(0, n).indexOf(10);
  writeFileSync(one, head.subarray(0, nl < 0 ? n : nl + 1));
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, (await timeProcess(f2b, [one, F2B_FILTER], true)).seconds);
  return best;
}

/** Runs the benchmark; argv without the node and script names. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === '--replay-only') return replayOnly(argv.slice(1));
  const li = argv.indexOf('--lines');
  const lines = li >= 0 ? Number(argv[li + 1]) : 1_000_000;
  if (!Number.isInteger(lines) || lines < 1) throw new Error('--lines needs a positive integer');
  const keep = argv.includes('--keep');
  const direct = argv.includes('--direct');
  const year = new Date().getUTCFullYear();
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-bench-'));
  const file = path.join(dir, 'auth.log');
  try {
    const t = performance.now();
    generateSshdLog(file, lines, year);
    console.log(
      `generated ${fmt(lines)} lines (${(statSync(file).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s: ${file}`,
    );

    // This machine's speed drifts by a third over minutes (a shared host): a ratio of runs made a minute
    // apart measures the drift as much as the tools. So the comparison is paired in time: fail2ban-regex
    // reads the file in SEGMENTS consecutive parts, one run each, and firebreak reads the whole file just
    // before and just after each part. Each part gives a ratio (firebreak's lines/s, the mean of its two
    // runs, over fail2ban's on that part); the median of those is the figure. Each fail2ban-regex run pays
    // its own start-up, where one run over the whole file would pay it once: each part is credited all
    // but its share of one start-up (measured on a one-line file), so the split costs fail2ban nothing.
    const [cmd, args, how] = replayCommand(file, year, direct);
    const runs: Timed[] = [];
    const runFirebreak = async () => {
      const r = await timeProcess(cmd, args, false);
      if (r.code !== 0) throw new Error(`firebreak replay failed (${r.code}): ${r.stderr}`);
      runs.push(r);
    };
    await runFirebreak();

    const f2b = findOrInstallFail2ban();
    if (f2b === null) {
      console.log(
        `firebreak replay (${how}): ${runs[0]!.seconds.toFixed(2)} s wall, ${fmt(lines / runs[0]!.seconds)} lines/s; no comparison made`,
      );
      process.exitCode = 1;
      return;
    }
    const parts = splitLines(file, SEGMENTS);
    const startup = await fail2banStartup(f2b, dir, file);
    const segs: { lines: number; wall: number; cpu?: number; matched: number; missed: number }[] = [];
    for (const part of parts) {
      const fr = await timeProcess(f2b, [part.file, F2B_FILTER], true);
      if (fr.code !== 0) throw new Error(`fail2ban-regex failed (${fr.code}): ${fr.stderr}`);
      const m = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(fr.stdout);
      // Never more than most of the run: on a tiny --lines file, start-up is all there is.
      const credit = Math.min(startup * (1 - part.lines / lines), fr.seconds * 0.9);
      segs.push({
        lines: part.lines,
        wall: fr.seconds - credit,
        cpu: fr.cpu === undefined ? undefined : fr.cpu - credit,
        matched: Number(m?.[3] ?? NaN),
        missed: Number(m?.[4] ?? NaN),
      });
      await runFirebreak();
    }

    const pairs = segs.map((sg, k) => {
      const fbSeconds = (runs[k]!.seconds + runs[k + 1]!.seconds) / 2;
      return lines / fbSeconds / (sg.lines / sg.wall);
    });
    // The run shown: the median one (the slower of the middle two for an even count).
    const fb = [...runs].sort((a, b) => a.seconds - b.seconds)[runs.length >> 1]!;
    const inner = /lines\/s: (\d+)/.exec(fb.stderr)?.[1];
    const cpuText = (cpu?: number) => (cpu !== undefined ? `, ${cpu.toFixed(2)} s CPU` : '');
    console.log(
      `firebreak replay (${how}): ${fb.seconds.toFixed(2)} s wall${cpuText(fb.cpu)} (median of ${runs.map((r) => r.seconds.toFixed(2)).join(', ')}), ${fmt(lines / fb.seconds)} lines/s (read+parse+detect loop ${fmt(Number(inner))} lines/s), ${fb.stdout} detections`,
    );
    console.log(fb.stderr.trim().replace(/^/gm, '    '));
    const f2bWall = segs.reduce((a, sg) => a + sg.wall, 0);
    const f2bCpu = segs.every((sg) => sg.cpu !== undefined) ? segs.reduce((a, sg) => a + sg.cpu!, 0) : undefined;
    console.log(
      `fail2ban-regex:   ${f2bWall.toFixed(2)} s wall${cpuText(f2bCpu)} in ${SEGMENTS} parts (${segs.map((sg) => sg.wall.toFixed(1)).join(' + ')} s, each credited ${startup.toFixed(2)} s of start-up but its share), ${fmt(lines / f2bWall)} lines/s (${segs.reduce((a, sg) => a + sg.matched, 0)} matched, ${segs.reduce((a, sg) => a + sg.missed, 0)} missed)`,
    );
    const ratio = median(pairs);
    console.log(`ratio per part (firebreak's two runs around it): ${pairs.map((r) => `${r.toFixed(1)}x`).join(', ')}`);
    console.log(
      `ratio (wall clock lines/s, median of the parts): ${ratio.toFixed(1)}x (target >= 30x) ${ratio >= 30 ? 'OK' : 'BELOW TARGET'}`,
    );
    console.log(`ratio (whole runs: firebreak's median over fail2ban's parts summed): ${(f2bWall / fb.seconds).toFixed(1)}x`);
    if (fb.cpu && f2bCpu) console.log(`ratio (CPU time): ${(f2bCpu / fb.cpu).toFixed(1)}x`);
    console.log(
      `load average (1, 5, 15 min): ${loadavg()
        .map((x) => x.toFixed(2))
        .join(', ')} on ${cpus().length} CPUs`,
    );
  } finally {
    if (keep) console.log(`kept ${file}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
