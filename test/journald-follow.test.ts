// The journald source, with a fake `journalctl` (the machine has no journal): it prints saved
// `journalctl -o json` entries after the cursor it is given (none with --lines=0) and follows
// the file like `--follow`. Entries present before the first start are history; a restart
// resumes after the saved cursor, neither losing nor doubling an entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { startServer } from './support/process.ts';
import { bruteForceIncidents, pollUntil } from './support/follow-checks.ts';

const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';
let seq = 0;
const entry = (ip: string, i: number, ident = 'sshd') =>
  JSON.stringify({
    __CURSOR: `s=fake;i=${++seq}`,
    __REALTIME_TIMESTAMP: String((Date.now() - 60_000 + i * 1000) * 1000),
    _PID: String(2000 + i),
    _HOSTNAME: 'host',
    SYSLOG_IDENTIFIER: ident,
    MESSAGE: `Failed password for invalid user admin from ${ip} port ${40000 + i} ssh2`,
  }) + '\n';

const incidents = (url: string, key: string) => bruteForceIncidents(url, ADMIN, key);

const waitFor = <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 8000) => pollUntil(fn, ok, ms);

test('journald source: follows journalctl -o json, resumes after its saved cursor across a restart', async () => {
  const tdb = await createTestDatabase('embedded');
  const journal = path.join(tdb.dataDir, 'journal.json');
  const argsLog = path.join(tdb.dataDir, 'journalctl-args.log');
  const fake = path.join(tdb.dataDir, 'journalctl');
  writeFileSync(
    fake,
    `#!/bin/sh
printf '%s\\n' "$*" >> '${argsLog}'
cursor=''
for a in "$@"; do case "$a" in --after-cursor=*) cursor="\${a#--after-cursor=}";; esac; done
total=$(wc -l < '${journal}')
start=$((total + 1))
if [ -n "$cursor" ]; then
  k=$(grep -n -F "\\"__CURSOR\\":\\"$cursor\\"" '${journal}' | head -1 | cut -d: -f1)
  start=$((k + 1))
fi
exec tail -n +$start -f '${journal}'
`,
  );
  chmodSync(fake, 0o755);
  writeFileSync(journal, [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => entry('192.0.2.99', i)).join(''));
  const cfg = path.join(tdb.dataDir, 'fb.yaml');
  writeFileSync(cfg, `sources:\n  - { type: journald, units: [ssh.service], journalctl: ${JSON.stringify(fake)} }\n`);
  const env = { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: tdb.dataDir, FIREBREAK_CONFIG: cfg };
  let srv = await startServer({ cwd: tdb.dataDir, env });
  try {
    await waitFor(
      async () => readFileSync(argsLog, 'utf8').split('\n').length,
      (n) => n > 1,
    );
    appendFileSync(journal, entry('192.0.2.7', 1) + entry('192.0.2.7', 2, 'CRON') + entry('192.0.2.7', 3) + entry('192.0.2.7', 4));
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await incidents(srv.url, 'ip:192.0.2.99')).length, 0, 'entries before the first start are history');
    assert.equal((await incidents(srv.url, 'ip:192.0.2.7')).length, 0, 'three sshd failures (one CRON entry): not yet');
    assert.equal(await srv.stop(), 0);

    appendFileSync(journal, entry('192.0.2.7', 5)); // written while Firebreak is down
    srv = await startServer({ cwd: tdb.dataDir, env });
    appendFileSync(journal, entry('192.0.2.7', 6));
    const open = await waitFor(
      () => incidents(srv.url, 'ip:192.0.2.7'),
      (v) => v.length > 0,
    );
    const said = async () =>
      `journalctl runs: ${readFileSync(argsLog, 'utf8')}; health: ${await (await fetch(`${srv.url}/api/health/detailed`)).text()}`;
    assert.equal(open.length, 1, `the fourth and fifth failure across the restart open one incident (${await said()})`);
    assert.equal(open[0]!.detection_count, 1, 'nothing counted twice');

    const runs = readFileSync(argsLog, 'utf8').trim().split('\n');
    assert.equal(runs.length, 2);
    assert.match(runs[0]!, /--follow --output=json .*--unit ssh\.service --lines=0$/);
    assert.match(runs[1]!, /--after-cursor=s=fake;i=13$/, 'resumes after the last entry read before the stop');
    const health = (await (await fetch(`${srv.url}/api/health/detailed`)).json()) as {
      components: { sources: { items: { format: string; status: string; parsed: number }[] } };
    };
    const s = health.components.sources.items[0]!;
    assert.deepEqual([s.format, s.status, s.parsed], ['journal-json', 'ok', 2], 'entries 5 and 6 after the restart');
  } finally {
    await srv.stop();
    await tdb.destroy();
  }
});
