import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayFiles } from './replay.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import type { Detection } from '../domain/event.ts';
import { AppError } from '../errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-replay-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const fail = (t: string, ip: string, user = 'root') => `${t} web1 sshd[1]: Failed password for ${user} from ${ip} port 22 ssh2`;

const SSHD = [
  fail('Dec 31 23:58:00', '203.0.113.5'),
  'Dec 31 23:58:01 web1 sshd[1]: pam_unix(sshd:auth): authentication failure; rhost=203.0.113.5',
  fail('Dec 31 23:58:30', '203.0.113.5'),
  fail('Dec 31 23:59:00', '2001:db8::1'),
  'Dec 31 23:59:10 web1 sshd[1]: message repeated 3 times: [ Failed password for root from 2001:db8::1 port 22 ssh2]',
  fail('Dec 31 23:59:30', '203.0.113.5'),
  'Jan  1 00:00:10 web1 sshd[1]: Invalid user  from 203.0.113.5 port 22', // year rolls over
  'Jan  1 00:00:20 web1 sshd[1]: Failed publickey for root from 203.0.113.5 port 22 ssh2', // not counted
  fail('Jan  1 00:00:30', '2001:DB8:0::1'), // 5th for 2001:db8::1 (4 + 1)
  fail('Jan  1 00:01:00', '198.51.100.9'),
  'garbage line',
  fail('Jan  1 00:05:00', 'host.example'),
  '',
  fail('Jan  1 00:07:59', '203.0.113.5'), // 5th for 203.0.113.5 within 10 min of 23:58:00? 23:58:00 + 10 min = 00:08:00: inside
  fail('Jan  1 00:08:00', '203.0.113.5'), // quiet (cooldown 1 h)
].join('\r\n');

const WANT: Detection[] = [
  { rule: 'brute_force_attempt', key: 'ip:2001:db8::1', atUs: Date.UTC(2026, 0, 1, 0, 0, 30) * 1000, value: 5 },
  { rule: 'brute_force_attempt', key: 'ip:203.0.113.5', atUs: Date.UTC(2026, 0, 1, 0, 7, 59) * 1000, value: 5 },
];

test('replay: sshd log with year rollover, repeats, IPv6, noise, CRLF', async () => {
  const f = file('auth.log', SSHD);
  const got: Detection[] = [];
  const s = await replayFiles({ files: [f], format: 'sshd', year: 2025, rules: resolveRules({}), onDetection: (d) => got.push(d) });
  assert.deepEqual(got, WANT);
  assert.equal(s.lines, 15);
  assert.equal(s.parsed, 10);
  assert.equal(s.ignored, 3);
  assert.equal(s.skipped, 2);
  assert.equal(s.events, 12);
  assert.equal(s.detections, 2);
  assert.deepEqual(s.skipReasons, { 'no syslog timestamp': 1, 'invalid address': 1 });
});

test('replay: tiny read blocks and lines longer than a block give the same result', async () => {
  const long = `Jan  1 00:00:00 web1 sshd[1]: Connection closed by ${'x'.repeat(300)} port 22 [preauth]`;
  const f = file('auth2.log', `${SSHD}\n${long}\n`);
  const got: Detection[] = [];
  let progressCalls = 0;
  const s = await replayFiles({
    files: [f],
    format: 'sshd',
    year: 2025,
    rules: resolveRules({}),
    onDetection: (d) => got.push(d),
    onProgress: async (p) => {
      progressCalls++;
      assert.ok(p.bytesRead <= p.totalBytes);
    },
    chunkSize: 37,
  });
  assert.equal(s.lines, 16);
  assert.equal(got.length, 2);
  assert.ok(progressCalls > 3, `progress calls: ${progressCalls}`);
});

test('replay: several files are one stream, with one parser (year state) per file', async () => {
  const a = file(
    'a.log',
    [fail('Mar  1 10:00:00', '192.0.2.1'), fail('Mar  1 10:00:01', '192.0.2.1'), fail('Mar  1 10:00:02', '192.0.2.1')].join('\n'),
  );
  const b = file('b.log', [fail('Mar  1 10:00:03', '192.0.2.1'), fail('Mar  1 10:00:04.5', '192.0.2.1')].join('\n') + '\n');
  const got: Detection[] = [];
  await replayFiles({ files: [a, b], format: 'sshd', year: 2026, rules: resolveRules({}), onDetection: (d) => got.push(d) });
  assert.deepEqual(got, [
    { rule: 'brute_force_attempt', key: 'ip:192.0.2.1', atUs: Date.UTC(2026, 2, 1, 10, 0, 4) * 1000 + 500_000, value: 5 },
  ]);
});

test('replay: nginx and ndjson formats', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 11; i++)
    lines.push(`192.0.2.${i} - - [02/Mar/2026:08:00:${String(i).padStart(2, '0')} +0000] "GET /x?y HTTP/1.1" 502 0 "-" "ua" 0.010`);
  const got: Detection[] = [];
  await replayFiles({
    files: [file('access.log', lines.join('\n'))],
    format: 'nginx',
    rules: resolveRules({}),
    onDetection: (d) => got.push(d),
  });
  assert.deepEqual(got, [{ rule: 'high_error_rate', key: 'global', atUs: Date.UTC(2026, 2, 2, 8, 0, 10) * 1000, value: 11 }]);

  const nd = [
    { type: 'data.integrity_error', ts: '2026-03-02T08:00:00.25Z' },
    { type: 'data.integrity_error', ts: '2026-03-02T08:00:59.25Z' },
    { type: 'data.integrity_error', ts: '2026-03-02T08:01:00.25Z' },
  ];
  const got2: Detection[] = [];
  await replayFiles({
    files: [file('ev.ndjson', nd.map((o) => JSON.stringify(o)).join('\n'))],
    format: 'ndjson',
    rules: resolveRules({}),
    onDetection: (d) => got2.push(d),
  });
  assert.deepEqual(
    got2.map((d) => d.atUs),
    [Date.UTC(2026, 2, 2, 8, 0, 0) * 1000 + 250_000, Date.UTC(2026, 2, 2, 8, 1, 0) * 1000 + 250_000],
  );
});

test('replay: missing files and bad formats are AppError invalid, before reading anything', async () => {
  const ok = file('ok.log', '');
  await assert.rejects(
    replayFiles({
      files: [ok, path.join(dir, 'missing.log')],
      format: 'sshd',
      rules: [],
      onDetection: () => assert.fail('no output expected'),
    }),
    (err: unknown) => err instanceof AppError && err.code === 'invalid' && err.details?.[0]?.message === 'no such file',
  );
  await assert.rejects(
    replayFiles({ files: [ok], format: 'syslog' as 'sshd', rules: [], onDetection: () => undefined }),
    (err: unknown) => err instanceof AppError && err.code === 'invalid',
  );
  await assert.rejects(
    replayFiles({ files: [dir], format: 'sshd', rules: [], onDetection: () => undefined }),
    (err: unknown) => err instanceof AppError && err.code === 'invalid',
  );
});

test('replay: UTF-8 characters split across read blocks stay intact', async () => {
  const lines = Array.from({ length: 5 }, (_, i) => `Mar  1 10:00:0${i} web1 sshd[1]: Invalid user jürgen_ü€${i} from 192.0.2.7 port 22`);
  const f = file('utf8.log', lines.join('\n'));
  for (const chunkSize of [5, 7, 11, 64, 1 << 20]) {
    const got: Detection[] = [];
    const s = await replayFiles({
      files: [f],
      format: 'sshd',
      year: 2026,
      rules: resolveRules({
        u: {
          match: [{ type: 'auth.login_failed', where: [{ field: 'user_id', op: 'eq', value: 'jürgen_ü€3' }] }],
          key: 'user_id',
          value: { kind: 'count' },
          threshold: 1,
          window: 1000,
        },
      }),
      onDetection: (d) => got.push(d),
      chunkSize,
    });
    assert.equal(s.parsed, 5, `chunk ${chunkSize}`);
    assert.deepEqual(
      got.map((d) => d.key),
      ['user:jürgen_ü€3', 'ip:192.0.2.7'],
      `chunk ${chunkSize}`,
    );
  }
});
