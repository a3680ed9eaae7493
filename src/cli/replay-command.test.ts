import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { registerReplayCommand } from './replay-command.ts';
import { AppError } from '../errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-replay-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const stdout = new Sink();
  const stderr = new Sink();
  const program = new Command('firebreak').exitOverride();
  program.configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  registerReplayCommand(program, { stdout, stderr, env });
  await program.parseAsync(['node', 'firebreak', 'replay', ...args]);
  return { out: stdout.text, err: stderr.text };
}

const line = (t: string, ip: string) => `2026-03-02T08:00:${t}+00:00 web1 sshd[7]: Failed password for root from ${ip} port 22 ssh2`;

test('replay prints one exact NDJSON line per firing and a summary on stderr', async () => {
  const f = path.join(dir, 'auth.log');
  writeFileSync(
    f,
    ['00.218229', '01', '02.5', '03.100', '04.218229']
      .map((t) => line(t, '203.0.113.5'))
      .concat(['00.000000', '01', '02', '03', '04'].map((t) => line(t, '2001:db8::9')))
      .join('\n'),
  );
  const { out, err } = await run(['--format', 'sshd', f]);
  assert.equal(
    out,
    '{"rule":"brute_force_attempt","key":"ip:203.0.113.5","at":"2026-03-02T08:00:04.218229Z","value":5}\n' +
      '{"rule":"brute_force_attempt","key":"ip:2001:db8::9","at":"2026-03-02T08:00:04Z","value":5}\n',
  );
  assert.match(err, /^lines: 10$/m);
  assert.match(err, /^parsed: 10$/m);
  assert.match(err, /^skipped: 0$/m);
  assert.match(err, /^detections: 2$/m);
  assert.match(err, /^lines\/s: \d+$/m);
});

test('replay --threads 2 scans on a second thread and prints the same lines; --threads 1 keeps to one', async () => {
  const f = path.join(dir, 'auth-threads.log');
  writeFileSync(f, ['01', '02', '03', '04', '05'].map((t) => line(t, '198.51.100.4')).join('\n'));
  const two = await run(['--format', 'sshd', '--threads', '2', f]);
  const one = await run(['--format', 'sshd', '--threads', '1', f]);
  assert.equal(two.out, '{"rule":"brute_force_attempt","key":"ip:198.51.100.4","at":"2026-03-02T08:00:05Z","value":5}\n');
  assert.equal(one.out, two.out);
  assert.match(two.err, /^lines\/s: \d+ \(2 threads\)$/m);
  assert.match(one.err, /^lines\/s: \d+$/m);
});

test('replay applies the rules: section of --config', async () => {
  const f = path.join(dir, 'auth3.log');
  writeFileSync(f, ['01', '02', '03'].map((t) => line(t, '192.0.2.1')).join('\n'));
  const cfg = path.join(dir, 'firebreak.yaml');
  writeFileSync(cfg, 'rules:\n  brute_force_attempt: { threshold: 3, window: 1m }\n');
  const { out } = await run(['--format', 'sshd', '--config', cfg, f]);
  assert.equal(out, '{"rule":"brute_force_attempt","key":"ip:192.0.2.1","at":"2026-03-02T08:00:03Z","value":3}\n');
  const viaEnv = await run(['--format', 'sshd', f], { FIREBREAK_CONFIG: cfg });
  assert.equal(viaEnv.out, out);
});

test('replay: bad flags, bad config and missing files are AppError invalid', async () => {
  const f = path.join(dir, 'auth2.log');
  writeFileSync(f, '');
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'rules:\n  my_rule: { threshold: 3 }\n');
  const cases: string[][] = [
    [f],
    ['--format', 'syslog', f],
    ['--format', 'sshd'],
    ['--format', 'sshd', '--year', '26', f],
    ['--format', 'sshd', '--bogus', f],
    ['--format', 'sshd', path.join(dir, 'nope.log')],
    ['--format', 'sshd', '--config', path.join(dir, 'nope.yaml'), f],
    ['--format', 'sshd', '--config', bad, f],
    ['--format', 'sshd', '--threads', '3', f],
  ];
  for (const args of cases) {
    await assert.rejects(run(args), (e: unknown) => e instanceof AppError && e.code === 'invalid', args.join(' '));
  }
});

test('replay --help shows the formats and an example', async () => {
  let help = '';
  const program = new Command('firebreak').exitOverride();
  program.configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
  registerReplayCommand(program, { stdout: new Sink(), stderr: new Sink(), env: {} });
  await assert.rejects(
    program.parseAsync(['node', 'firebreak', 'replay', '--help']),
    (e: unknown) => (e as { code?: string }).code === 'commander.helpDisplayed',
  );
  assert.match(help, /--format <format>\s+log format: sshd, nginx, nginx-error, ndjson,\s+journal-json/);
  assert.match(help, /--mode <mode>/);
  assert.match(help, /--log-format <format>/);
  assert.match(help, /\$ firebreak replay --format sshd --year 2026 \/var\/log\/auth.log.1 \/var\/log\/auth.log/);
});

test('replay stops quietly when the stdout reader goes away (EPIPE)', async () => {
  const f = path.join(dir, 'many.log');
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) lines.push(line(String(i % 60).padStart(2, '0'), `10.0.${(i >> 8) & 255}.${i & 255}`));
  writeFileSync(f, lines.join('\n'));
  class Broken extends Writable {
    override _write(_c: Buffer, _e: string, cb: (err?: Error) => void) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    }
  }
  const stderr = new Sink();
  const program = new Command('firebreak').exitOverride();
  registerReplayCommand(program, { stdout: new Broken(), stderr, env: {} });
  // With a threshold of 1 every line fires: megabytes of output for a reader that is gone.
  const cfg = path.join(dir, 'one.yaml');
  writeFileSync(cfg, 'rules:\n  brute_force_attempt: { threshold: 1 }\n');
  await program.parseAsync(['node', 'firebreak', 'replay', '--format', 'sshd', '--config', cfg, f]);
  assert.equal(stderr.text, '', 'no summary and no error after EPIPE');
});
