// The data-directory lock after kill -9: a holder that is gone is taken over,
// also while it is an unreaped zombie (kill(pid, 0) still succeeds on one;
// seen when the server ran under a parent that does not reap, as under npx
// with no init). A live holder keeps its lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDataDirLock } from './data-dir-lock.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOCK_MODULE = path.join(ROOT, 'src', 'store', 'data-dir-lock.ts');

/** A node process that takes the lock of `dir`, then either waits or kills itself with SIGKILL. */
function holderScript(dir: string, then: 'wait' | 'die'): string {
  return (
    `const { acquireDataDirLock } = await import(${JSON.stringify(LOCK_MODULE)});` +
    `acquireDataDirLock(${JSON.stringify(dir)});` +
    (then === 'die' ? `process.kill(process.pid, 'SIGKILL');` : `setInterval(() => {}, 1000);`)
  );
}

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

async function waitFor<T>(what: string, fn: () => T | null | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function lockPid(dir: string): number | null {
  const file = path.join(dir, 'firebreak.lock');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

test('a lock whose holder was killed and is an unreaped zombie is taken over', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-lock-'));
  // sh starts the holder in the background, then becomes `sleep`, which never reaps it.
  const script = holderScript(dir, 'die');
  const parent: ChildProcess = spawn(
    'sh',
    ['-c', `"$0" --import tsx --input-type=module -e "$1" & exec sleep 60`, process.execPath, script],
    { cwd: ROOT, stdio: 'ignore' },
  );
  t.after(() => {
    parent.kill('SIGKILL'); // its zombie child goes to init, which reaps it
    rmSync(dir, { recursive: true, force: true });
  });
  const holder = await waitFor('the holder to take the lock', () => lockPid(dir));
  await waitFor('the holder to be a zombie', () => procState(holder) === 'Z');
  assert.doesNotThrow(() => process.kill(holder, 0), 'kill(pid, 0) succeeds on a zombie: the case under test');

  const lock = acquireDataDirLock(dir);
  assert.equal(lockPid(dir), process.pid, 'the lock now names this process');
  lock.release();
});

test('a lock whose holder is alive is refused', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-lock-'));
  const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holderScript(dir, 'wait')], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  t.after(() => {
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const pid = await waitFor('the holder to take the lock', () => lockPid(dir));
  assert.equal(pid, holder.pid);
  assert.throws(() => acquireDataDirLock(dir), /in use by another Firebreak process \(pid \d+\)/);
});

test('a lock whose holder is gone and reaped is taken over', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holderScript(dir, 'die')], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  await new Promise((r) => holder.once('exit', r)); // node reaps it
  assert.ok(lockPid(dir), 'the dead holder left its lock file');
  acquireDataDirLock(dir).release();
});
