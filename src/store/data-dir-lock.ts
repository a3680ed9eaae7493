/**
 * One process per embedded data directory: PGlite is a single-backend
 * PostgreSQL, and two processes writing the same files would corrupt them.
 * The lock is a file created with O_EXCL holding the owner's PID; a lock whose
 * process is gone (kill -9) is taken over. A killed process whose parent has
 * not reaped it yet (a zombie: a parent that never waits, as under npx with no
 * init) still answers kill(pid, 0), but it holds no files and will never run
 * again, so it counts as gone.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';

export interface DataDirLock {
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * True when /proc says the process has exited and waits to be reaped (state Z,
 * or X while it is being removed). Where /proc is missing (not Linux), false:
 * kill(pid, 0) alone decides, as before.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Gone between kill(pid, 0) and here counts as dead too; no /proc at all tells nothing.
    return existsSync('/proc/self/stat');
  }
  // `pid (comm) S ...`: comm may hold spaces and parentheses, so the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  return state === 'Z' || state === 'X';
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'firebreak.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new AppError(
          'unavailable',
          `the data directory ${dataDir} is in use by another Firebreak process (pid ${pid}). ` +
            'Stop it, use another --data-dir, or talk to the running server with FIREBREAK_URL and FIREBREAK_TOKEN.',
        );
      }
      if (pid === process.pid) {
        throw new AppError('unavailable', `the data directory ${dataDir} is already open in this process`);
      }
      unlinkSync(file); // stale: its process died
    }
  }
  throw new AppError('unavailable', `cannot lock the data directory ${dataDir}`);
}
