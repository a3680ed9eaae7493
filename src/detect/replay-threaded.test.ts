/**
 * An sshd replay scanned on a worker thread (scan-in-worker.ts) gives what one thread gives: the same
 * detections in the same order and the same counts, in every mode, with the multi-line state, year
 * rollover, repeats, hostile and over-long lines, several files, read blocks small enough that the
 * worker runs ahead of the rules and waits (its bounded queue), and whichever thread classifies a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayFiles, type ReplayOptions, type ReplaySummary } from './replay.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import type { Detection, FbEvent } from '../domain/event.ts';
import { SSHD_MODES, type SshdMode } from './parsers/sshd-messages.ts';
import { SshdParser } from './parsers/sshd.ts';
import { MAX_LINE_CHARS } from './parsers/index.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import { ScanWorker } from './scan-in-worker.ts';
import { seededRandom as rng } from '../domain/seeded-random.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-replay-threads-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An auth.log of every shape that touches the per-process state, from Dec 30 into the next year. */
function authLog(lines: number, seed: number): string {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const ips = [
    '203.0.113.5',
    '203.0.113.6',
    '198.51.100.7',
    '2001:db8::1',
    '2001:DB8:0:0::2',
    '::ffff:192.0.2.9',
    '192.0.2.300',
    '10.0.0.1',
  ];
  const users = ['root', 'admin', 'oracle', 'bob', '', 'x from 198.51.100.66 port 22 ssh2'];
  const out: string[] = [];
  let ms = Date.UTC(2025, 11, 30, 23, 0, 0);
  for (let i = 0; i < lines; i++) {
    ms += Math.floor(r() * 20_000);
    const d = new Date(ms);
    const ts = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    const pid = 100 + Math.floor(r() * 12); // few processes: state carries from line to line
    const ip = pick(ips);
    const user = pick(users);
    const x = r();
    let msg: string;
    if (x < 0.2) msg = `sshd[${pid}]: Failed password for ${user} from ${ip} port 4242 ssh2`;
    else if (x < 0.28) msg = `sshd[${pid}]: Failed password for invalid user ${user} from ${ip} port 4242 ssh2`;
    else if (x < 0.36)
      msg = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
    else if (x < 0.42) msg = `sshd[${pid}]: Connection from ${ip} port 4242 on 192.0.2.1 port 22`;
    else if (x < 0.48) msg = `sshd[${pid}]: Disconnecting: Too many authentication failures [preauth]`;
    else if (x < 0.54) msg = `sshd[${pid}]: Connection closed by ${ip} port 4242 [preauth]`;
    else if (x < 0.58) msg = `sshd[${pid}]: Disconnected from authenticating user ${user} ${ip} port 4242 [preauth]`;
    else if (x < 0.62) msg = `sshd[${pid}]: Accepted password for ${pick(['bob', 'alice'])} from ${ip} port 4242 ssh2`;
    else if (x < 0.66) msg = `sshd[${pid}]: Failed publickey for bob from ${ip} port 4242 ssh2: RSA SHA256:abc`;
    else if (x < 0.7) msg = `sshd[${pid}]: User ${user} not allowed because account is locked`;
    else if (x < 0.74) msg = `sshd[${pid}]: Received disconnect from ${ip} port 4242:11: Bye Bye [preauth]`;
    else if (x < 0.77)
      msg = `sshd[${pid}]: message repeated ${1 + Math.floor(r() * 300)} times: [ Failed password for root from ${ip} port 4242 ssh2]`;
    else if (x < 0.8) msg = `sshd[${pid}]: kex_exchange_identification: Connection closed by remote host`;
    else if (x < 0.83) msg = `sshd[${pid}]: Did not receive identification string from ${ip} port 4242`;
    else if (x < 0.86) msg = `sshd[${pid}]: Unable to negotiate with ${ip} port 4242: no matching key exchange method found.`;
    else if (x < 0.9) msg = `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    else if (x < 0.93) msg = `sshd[${pid}]: Invalid user ${user} from ${ip} port 4242`;
    else if (x < 0.95) msg = `sshd[${pid}]: message repeated 9999999 times: [ Failed password for root from ${ip} port 4242 ssh2]`;
    else if (x < 0.97) {
      out.push(pick(['', 'garbage line', `${ts}`]));
      continue;
    } else msg = `sshd[${pid}]: error: maximum authentication attempts exceeded for ${user} from ${ip} port 4242 ssh2 [preauth]`;
    out.push(`${ts} web${pid % 2} ${msg}`);
  }
  out.splice(
    Math.floor(lines / 2),
    0,
    `Dec 31 12:00:00 web1 sshd[101]: Failed password for ${'y'.repeat(70_000)} from 203.0.113.5 port 1 ssh2`,
  );
  return out.join(r() < 0.5 ? '\n' : '\r\n');
}

type Run = { got: Detection[]; s: ReplaySummary };

/** The detections of a plain loop: one new event object per line (no reuse), one engine, no chunks, no threads. */
function reference(files: string[], mode: SshdMode): Detection[] {
  const engine = new RuleEngine(resolveRules({}));
  const out: Detection[] = [];
  const feed = (ev: FbEvent) => out.push(...engine.process(ev));
  for (const f of files) {
    const parser = new SshdParser({ year: 2025, mode });
    for (const raw of readFileSync(f, 'utf8').split('\n')) {
      const line = raw.replace(/\r+$/, '');
      if (line.length > MAX_LINE_CHARS) continue;
      const ev = parser.parse(line);
      if (ev === null) continue;
      for (let k = 0; k < parser.repeat; k++) feed(ev);
      if (parser.also) feed(parser.also);
    }
  }
  return out;
}

async function run(opts: Omit<ReplayOptions, 'onDetection' | 'rules'>): Promise<Run> {
  const got: Detection[] = [];
  const s = await replayFiles({ ...opts, rules: resolveRules({}), onDetection: (d) => got.push(d) });
  return { got, s };
}

/** The summary without what depends on the run (time, threads). */
function counts(s: ReplaySummary): Omit<ReplaySummary, 'seconds' | 'linesPerSecond' | 'threads'> {
  const { seconds: _s, linesPerSecond: _l, threads: _t, ...rest } = s;
  return rest;
}

test('sshd replay on two threads gives what one thread gives, in every mode, over several files and small read blocks', async () => {
  const a = path.join(dir, 'auth.log.1');
  const b = path.join(dir, 'auth.log');
  writeFileSync(a, authLog(20_000, 1));
  writeFileSync(b, authLog(20_000, 2));
  for (const mode of SSHD_MODES) {
    for (const chunkSize of [8 * 1024, 1 << 20]) {
      const base = { files: [a, b], format: 'sshd' as const, year: 2025, parser: { mode }, chunkSize };
      const one = await run({ ...base, threads: false });
      assert.equal(one.s.threads, 1);
      if (chunkSize === 8 * 1024) assert.deepEqual(one.got, reference([a, b], mode), `replay's detections are a plain loop's (${mode})`);
      assert.ok(one.got.length > 0 && one.s.skipped > 0 && one.s.clamped > 0, `the log exercises detections, skips and repeats (${mode})`);
      // The adaptive share of lines the main thread classifies, then fixed ones: none, half, all.
      for (const scanDefer of [undefined, 0, 0.5, 1]) {
        const two = await run({ ...base, threads: true, scanDefer });
        const what = `${mode}, ${chunkSize} B blocks, share ${scanDefer ?? 'adaptive'}`;
        assert.equal(two.s.threads, 2, 'the worker ran');
        assert.deepEqual(two.got, one.got, `detections (${what})`);
        assert.deepEqual(counts(two.s), counts(one.s), `counts (${what})`);
      }
    }
  }
});

test("fail2ban's own sshd sample replays alike on one and two threads, in every mode", async () => {
  const list = execFileSync('dpkg', ['-L', 'fail2ban'], { encoding: 'utf8' }).split('\n');
  const sample = list.find((f) => /tests\/files\/logs\/sshd$/.test(f));
  assert.ok(sample, "fail2ban's sshd sample (apt-get install fail2ban)");
  for (const mode of SSHD_MODES) {
    const base = { files: [sample], format: 'sshd' as const, year: 2025, parser: { mode, timeZone: 'Europe/Zurich' } };
    const one = await run({ ...base, threads: false });
    const two = await run({ ...base, threads: true, chunkSize: 2048 });
    assert.ok(one.s.parsed > 50, `the sample makes events (${mode})`);
    assert.deepEqual(two.got, one.got, mode);
    assert.deepEqual(counts(two.s), counts(one.s), mode);
  }
});

test('the scan worker reports a read error with its code and syscall, which replay turns into AppError invalid', async () => {
  const w = ScanWorker.start();
  assert.ok(w, 'the worker script is there');
  try {
    await assert.rejects(
      w.scan({ file: path.join(dir, 'gone.log'), year: 2025 }, () => undefined),
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.syscall === 'open',
    );
    // The worker still serves the next file.
    const f = path.join(dir, 'one.log');
    writeFileSync(f, 'Jan  1 00:00:00 web1 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2\n');
    let lines = 0;
    await w.scan({ file: f, year: 2025 }, (m) => void (lines += m.batch.n));
    assert.equal(lines, 1);
  } finally {
    await w.close();
  }
});
