// `firebreak replay` as a user runs it: through the plain-JavaScript build in
// dist/ (scripts/build-cli.js; `npm test` builds it first) and through the
// TypeScript sources (FIREBREAK_NO_BUILD=1). Both must print the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, runCli, runNode, type CliResult } from './support/process.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-replay-bin-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** An auth.log with two brute forces (IPv4, IPv6 written long), noise, a repeated message and a bad line. */
function writeLog(): string {
  const lines: string[] = [];
  for (let s = 0; s < 12; s++) {
    const ts = `Mar  2 08:00:${String(s * 4).padStart(2, '0')}`;
    lines.push(`${ts} web1 sshd[7]: Failed password for invalid user admin from 203.0.113.5 port ${40000 + s} ssh2`);
    lines.push(`${ts} web1 sshd[8]: Invalid user test from 2001:DB8:0:0::9 port 22`);
    lines.push(`${ts} web1 CRON[9]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`);
  }
  lines.push('Mar  2 08:01:00 web1 sshd[7]: message repeated 4 times: [ Failed password for root from 198.51.100.7 port 22 ssh2]');
  lines.push('Mar  2 08:01:01 web1 sshd[7]: Failed password for root from 198.51.100.7 port 22 ssh2');
  lines.push('not a syslog line');
  const file = path.join(dir, 'auth.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Runs dist/replay.mjs directly (no bin/, no freshness check). */
function runBuilt(args: string[]): Promise<CliResult> {
  const code = `const { main } = await import(${JSON.stringify(path.join(REPO, 'dist/replay.mjs'))}); await main(process.argv);`;
  return runNode(['--input-type=module', '-e', code, 'firebreak', 'replay', ...args]);
}

const withoutTiming = (s: string) => s.replace(/^(seconds|lines\/s): .*$/gm, '$1: …');

test('the dist build and the TypeScript sources replay to the same bytes', async () => {
  assert.ok(existsSync(path.join(REPO, 'dist/replay.mjs')), 'dist/replay.mjs is missing: run `npm run build:cli` (npm test does)');
  const file = writeLog();
  const args = ['replay', '--format', 'sshd', '--year', '2026', file];
  const built = await runBuilt(args.slice(1));
  const viaBin = await runCli(args);
  const fromSources = await runCli(args, { env: { FIREBREAK_NO_BUILD: '1' } });
  for (const r of [built, viaBin, fromSources]) assert.equal(r.code, 0, r.stderr);
  const rows = built.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { rule: string; key: string; value: number });
  assert.deepEqual(
    rows.map((r) => `${r.rule} ${r.key} ${r.value}`),
    // Each address fires once: the cooldown mutes the rest of its attempts.
    ['brute_force_attempt ip:203.0.113.5 5', 'brute_force_attempt ip:2001:db8::9 5', 'brute_force_attempt ip:198.51.100.7 5'],
  );
  assert.equal(viaBin.stdout, built.stdout);
  assert.equal(fromSources.stdout, built.stdout);
  assert.match(built.stderr, /^skipped: 1 \(no syslog timestamp: 1\)$/m);
  assert.equal(withoutTiming(viaBin.stderr), withoutTiming(built.stderr));
  assert.equal(withoutTiming(fromSources.stderr), withoutTiming(built.stderr));
});

test('--config rules and bad input behave the same built and from sources', async () => {
  const file = writeLog();
  const cfg = path.join(dir, 'rules.yaml');
  writeFileSync(cfg, 'rules:\n  brute_force_attempt:\n    threshold: 3\n    cooldown: 0s\n');
  const args = ['replay', '--format', 'sshd', '--year', '2026', '--config', cfg, file];
  const built = await runCli(args);
  const fromSources = await runCli(args, { env: { FIREBREAK_NO_BUILD: '1' } });
  assert.equal(built.code, 0, built.stderr);
  assert.equal(fromSources.stdout, built.stdout);
  assert.ok(built.stdout.trim().split('\n').length > 5, built.stdout);
  assert.ok(
    built.stdout
      .trim()
      .split('\n')
      .every((l) => (JSON.parse(l) as { value: number }).value === 3),
  );

  for (const bad of [
    ['--format', 'syslog', file],
    ['--format', 'sshd', path.join(dir, 'missing.log')],
    ['--format', 'sshd', '--year', '26', file],
  ]) {
    const b = await runCli(['replay', ...bad]);
    const s = await runCli(['replay', ...bad], { env: { FIREBREAK_NO_BUILD: '1' } });
    assert.equal(b.code, 2, b.stderr);
    assert.equal(s.code, 2, s.stderr);
    assert.equal(b.stderr, s.stderr);
  }
});
