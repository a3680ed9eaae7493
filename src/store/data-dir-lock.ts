/**
 * One process per embedded data directory: PGlite is a single-backend
 * PostgreSQL, and two processes writing the same files would corrupt them.
 * The lock is a file created with O_EXCL holding the owner's PID; a lock whose
 * process is gone (kill -9) is taken over.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';

export interface DataDirLock {
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
