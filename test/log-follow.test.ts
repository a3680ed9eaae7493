// A followed sshd log: lines appended while Firebreak runs open one
// brute_force_attempt incident; a restart in the middle (graceful, then kill -9)
// neither loses nor doubles lines. Rotation and truncation are followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { startServer } from './support/process.ts';
import { bruteForceIncidents, pollUntil } from './support/follow-checks.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
const line = (ip: string, i: number) =>
  `${new Date(Date.now() - 60_000 + i * 1000).toISOString().replace('Z', '+00:00')} host sshd[${1000 + i}]: Failed password for invalid user admin from ${ip} port ${40000 + i} ssh2\n`;

const incidents = (url: string, key: string) => bruteForceIncidents(url, ADMIN, key);

const waitFor = <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000) => pollUntil(fn, ok, ms);

test('followed sshd log: restart in the middle loses and doubles nothing; rotation and truncation', async () => {
  const tdb = await createTestDatabase('embedded');
  const log = path.join(tdb.dataDir, 'auth.log');
  writeFileSync(log, 'old line before start: ignored\n' + line('192.0.2.99', 0).repeat(9));
  const cfg = path.join(tdb.dataDir, 'fb.yaml');
  // group: false: each address keeps an incident of its own (no campaign), so what each key counted shows.
  writeFileSync(
    cfg,
    `sources:\n  - { type: file, path: ${JSON.stringify(log)}, format: sshd }\nrules:\n  brute_force_attempt: { group: false }\n`,
  );
  const env = { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: tdb.dataDir, FIREBREAK_CONFIG: cfg };
  let srv = await startServer({ cwd: tdb.dataDir, env });
  try {
    // Existing content is history (not re-read at first start): 9 old failures from .99 open nothing.
    appendFileSync(log, line('192.0.2.7', 1) + line('192.0.2.7', 2) + line('192.0.2.7', 3));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await incidents(srv.url, 'ip:192.0.2.99')).length, 0);
    assert.equal((await incidents(srv.url, 'ip:192.0.2.7')).length, 0, 'three failures: not yet');
    assert.equal(await srv.stop(), 0);

    appendFileSync(log, line('192.0.2.7', 4)); // written while Firebreak is down
    srv = await startServer({ cwd: tdb.dataDir, env });
    appendFileSync(log, line('192.0.2.7', 5));
    const open = await waitFor(
      () => incidents(srv.url, 'ip:192.0.2.7'),
      (v) => v.length > 0,
    );
    assert.equal(open.length, 1, 'the fifth failure across the restart opens one incident');
    assert.equal(open[0]!.detection_count, 1, 'nothing counted twice');

    // kill -9 after the lines were stored: nothing re-read, nothing lost.
    appendFileSync(log, line('192.0.2.8', 1) + line('192.0.2.8', 2));
    await new Promise((r) => setTimeout(r, 1200));
    await srv.kill9();
    srv = await startServer({ cwd: tdb.dataDir, env });
    appendFileSync(log, line('192.0.2.8', 3) + line('192.0.2.8', 4) + line('192.0.2.8', 5));
    const eight = await waitFor(
      () => incidents(srv.url, 'ip:192.0.2.8'),
      (v) => v.length > 0,
    );
    assert.equal(eight.length, 1);

    // Rotation: the old file is finished, the new one followed from its start.
    renameSync(log, `${log}.1`);
    writeFileSync(log, [1, 2, 3, 4, 5].map((i) => line('192.0.2.9', i)).join(''));
    assert.equal(
      (
        await waitFor(
          () => incidents(srv.url, 'ip:192.0.2.9'),
          (v) => v.length > 0,
        )
      ).length,
      1,
    );
    // Truncation: start over.
    writeFileSync(log, '');
    await new Promise((r) => setTimeout(r, 600));
    appendFileSync(log, [1, 2, 3, 4, 5].map((i) => line('192.0.2.10', i)).join('') + 'garbage line that is not syslog\n');
    assert.equal(
      (
        await waitFor(
          () => incidents(srv.url, 'ip:192.0.2.10'),
          (v) => v.length > 0,
        )
      ).length,
      1,
    );
    const health = (await (await fetch(`${srv.url}/api/health/detailed`)).json()) as {
      components: { sources: { items: { rotations: number; truncations: number; skipped: number }[] } };
    };
    const s = health.components.sources.items[0]!;
    assert.equal(s.rotations, 1);
    assert.equal(s.truncations, 1);
    assert.ok(s.skipped >= 1, 'the unparseable line is counted');
  } finally {
    await srv.stop();
    await tdb.destroy();
  }
});
