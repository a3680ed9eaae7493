import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BoundedOutput, runShellCommand } from './command-runner.ts';
import { MAX_OUTPUT_BYTES } from '../domain/runbook-run.ts';

/** Running (a zombie waiting for a reaper that never comes in a container counts as dead). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

test('exit code, stdout and stderr are recorded', async () => {
  const r = await runShellCommand({ command: 'echo out; echo err >&2; exit 3', timeoutMs: 5000 });
  assert.equal(r.exitCode, 3);
  assert.equal(r.timedOut, false);
  assert.match(r.output, /out/);
  assert.match(r.output, /err/);
  assert.equal(r.error, 'exited with code 3');
  const ok = await runShellCommand({ command: 'true', timeoutMs: 5000 });
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.error, undefined);
});

test('runs in the given cwd; a missing cwd is a failure, not a throw', async () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'cmd-cwd-')));
  try {
    const r = await runShellCommand({ command: 'pwd', cwd: dir, timeoutMs: 5000 });
    assert.equal(r.output.trim(), dir);
    const bad = await runShellCommand({ command: 'pwd', cwd: path.join(dir, 'nope'), timeoutMs: 5000 });
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.error ?? '', /could not start|ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the timeout kills the whole process group, even children that ignore SIGTERM', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cmd-kill-'));
  try {
    const pidFile = path.join(dir, 'pid');
    const t0 = Date.now();
    const r = await runShellCommand({
      // a background grandchild that ignores TERM, and a foreground sleep
      command: `sh -c 'trap "" TERM; sleep 30' & echo $! > ${pidFile}; sleep 30`,
      timeoutMs: 300,
      killGraceMs: 300,
    });
    const took = Date.now() - t0;
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.match(r.error ?? '', /timed out after 300 ms/);
    assert.ok(took < 3000, `settled in ${took} ms`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(alive(pid), false, 'the TERM-ignoring grandchild was SIGKILLed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an abort signal stops the command', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const r = await runShellCommand({ command: 'sleep 30', timeoutMs: 30_000, signal: ac.signal });
  assert.equal(r.aborted, true);
  assert.match(r.error ?? '', /shutting down/);
});

test('output is bounded to 64 KiB with head, tail and a truncation marker', async () => {
  const r = await runShellCommand({ command: `echo FIRST; head -c 2000000 /dev/zero | tr '\\0' x; echo; echo LAST`, timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0);
  assert.equal(r.truncated, true);
  assert.ok(r.outputBytes > 2_000_000);
  assert.ok(Buffer.byteLength(r.output) <= MAX_OUTPUT_BYTES, `${Buffer.byteLength(r.output)} bytes`);
  assert.ok(r.output.startsWith('FIRST\n'));
  assert.ok(r.output.trimEnd().endsWith('LAST'));
  const m = /\[\.\.\. (\d+) bytes truncated \.\.\.\]/.exec(r.output);
  assert.ok(m, 'has the marker');
  assert.equal(
    Number(m[1]) + Buffer.byteLength(r.output) - Buffer.byteLength(m[0]) - 2,
    r.outputBytes,
    'the marker counts exactly what was dropped',
  );
});

test('bounding never splits a multi-byte character', () => {
  for (const max of [1000, 1001, 1002, 4096]) {
    const b = new BoundedOutput(max);
    const text = 'é€😀'.repeat(2000);
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += 7) b.push(buf.subarray(i, i + 7));
    const s = b.text();
    assert.ok(Buffer.byteLength(s) <= max, `max ${max}: ${Buffer.byteLength(s)}`);
    assert.ok(!s.includes('\uFFFD'), `max ${max}: no replacement characters`);
  }
  const small = new BoundedOutput(100);
  small.push(Buffer.from('short'));
  assert.equal(small.text(), 'short');
  assert.equal(small.truncated, false);
});

test("commands never inherit Firebreak's environment: only what they are given", async () => {
  const bare = await runShellCommand({ command: 'env', timeoutMs: 5000 });
  assert.equal(bare.exitCode, 0);
  const names = bare.output
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('=')[0]);
  assert.ok(names.includes('PATH'), bare.output);
  assert.ok(!names.includes('HOME') && !names.includes('NODE_OPTIONS'), `inherited: ${names.join(' ')}`);
  assert.ok(
    names.every((n) => ['PATH', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(n!)),
    `unexpected: ${names.join(' ')}`,
  );
  const given = await runShellCommand({
    command: 'echo "$LANG/$EXTRA/$HOME"',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', EXTRA: 'x' },
    timeoutMs: 5000,
  });
  assert.equal(given.output, 'C.UTF-8/x/\n');
});
