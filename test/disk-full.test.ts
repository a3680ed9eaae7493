// Disk full under ingest load (issue #18), embedded database on a 64 MB
// tmpfs: ingestion pushes back (503 + Retry-After), readiness says 503,
// nothing acknowledged is lost, and freeing space recovers without a restart.
// Needs root (mount); CI runs as root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './support/process.ts';
import { startLoad, storedSeqs, missing } from './support/ingest-load.ts';
import { waitFor } from './support/wait-for.ts';
import { openDb } from '../src/store/db.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';

/** Writes a file until the disk is full; returns its path. */
function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

test('disk full: 503 and readiness 503, nothing acknowledged lost, recovery without a restart', async () => {
  const mnt = mkdtempSync(path.join(tmpdir(), 'firebreak-diskfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
  const dataDir = path.join(mnt, 'data');
  try {
    const srv = await startServer({ cwd: mnt, env: { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: dataDir }, timeoutMs: 60_000 });
    let exited: number | null | undefined;
    srv.proc.once('exit', (code) => (exited = code));
    const acked = new Set<number>();
    try {
      const load = startLoad({ url: srv.url, token: ADMIN, senders: 2, batch: 200, pauseMs: 50 });
      await new Promise((r) => setTimeout(r, 500));
      const filler = fillDisk(mnt);
      await waitFor('readiness 503', async () => (await fetch(`${srv.url}/readyz`)).status === 503, 30_000);
      // Health counts the failed writes (its status flaps while PostgreSQL's preallocated WAL still takes some).
      const health = (await (await fetch(`${srv.url}/api/health/detailed`)).json()) as {
        components: { ingest: { failed_writes: number } };
      };
      assert.ok(health.components.ingest.failed_writes > 0);
      const before = load.statuses.get(503) ?? 0;
      await waitFor('503 answers', () => (load.statuses.get(503) ?? 0) > before + 3, 30_000);
      unlinkSync(filler);
      await waitFor('ready again', async () => (await fetch(`${srv.url}/readyz`)).status === 200, 30_000);
      const ok = load.statuses.get(202) ?? 0;
      await waitFor('202 answers again', () => (load.statuses.get(202) ?? 0) > ok + 3, 30_000);
      await load.stop();
      for (const s of load.acked) acked.add(s);
      assert.deepEqual(load.odd, [], 'every refusal is a 429/503 with Retry-After');
      assert.equal(exited, undefined, `the process is alive:\n${srv.output().slice(-2000)}`);
      assert.equal(await srv.stop(), 0);
    } finally {
      await srv.kill9().catch(() => {});
    }
    const db = await openDb({ dataDir });
    try {
      const lost = missing(acked, await storedSeqs(db));
      assert.ok(acked.size > 0);
      assert.equal(lost.length, 0, `${lost.length} of ${acked.size} acknowledged events lost`);
    } finally {
      await db.close();
    }
  } finally {
    execFileSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});
