// Hostile lines (issue "one hostile line must never take Firebreak down"): huge repeat counts, a 1 MB
// line, NULs, invalid UTF-8. Replay counts them as skipped, with their reasons, and feeds the rules
// a bounded number of events. (Its speed is measured in the report's figures, not asserted here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayFiles } from './replay.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import { MAX_REPEAT } from './parsers/sshd.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-hostile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const H = 'Mar  2 08:00:00 web1 sshd[4242]: ';
const FAIL = 'Failed password for root from 203.0.113.9 port 22 ssh2';

function hostileSshdLog(): { bytes: Buffer; want: Record<string, number>; lines: number; clampedLine: number } {
  const parts: Buffer[] = [];
  const add = (s: string | Buffer) => parts.push(typeof s === 'string' ? Buffer.from(s + '\n') : Buffer.concat([s, Buffer.from('\n')]));
  const want: Record<string, number> = {};
  const skip = (reason: string, n = 1) => (want[reason] = (want[reason] ?? 0) + n);
  let lines = 0;
  for (let i = 0; i < 1000; i++) {
    add(`${H}message repeated 99999999999999999999 times: [ ${FAIL}]`);
    add(`${H}message repeated ${1_000_001 + i} times: [ ${FAIL}]`);
    skip('implausible repeat count', 2);
    add(`\u0000\u0000${H}${FAIL}`);
    skip('no syslog timestamp');
    add(Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x20, 0x41]));
    skip('no syslog timestamp');
    add(`${H}Failed password for root from 203.0.113.9\u0000 port 22 ssh2`);
    skip('invalid address');
    lines += 5;
  }
  add(`${H}Invalid user ${'A'.repeat(1024 * 1024)} from 203.0.113.9 port 22`);
  skip('line too long');
  add(`${H}${'\u0000'.repeat(70_000)}`);
  skip('line too long');
  add(`${H}message repeated 5000 times: [ ${FAIL}]`); // counted: MAX_REPEAT events, the rest clamped
  lines += 3;
  return { bytes: Buffer.concat(parts), want, lines, clampedLine: 5000 };
}

test('replay: a file of hostile sshd lines is counted as skipped, with bounded events', async () => {
  const { bytes, want, lines, clampedLine } = hostileSshdLog();
  const f = path.join(dir, 'hostile.log');
  writeFileSync(f, bytes);
  assert.ok(bytes.length > 1024 * 1024, `${bytes.length} bytes`);
  const s = await replayFiles({ files: [f], format: 'sshd', year: 2026, rules: resolveRules({}), onDetection: () => {} });
  assert.equal(s.lines, lines);
  assert.deepEqual(s.skipReasons, want);
  assert.equal(s.skipped, lines - 1);
  assert.equal(s.parsed, 1);
  assert.equal(s.events, MAX_REPEAT);
  assert.equal(s.clamped, clampedLine - MAX_REPEAT);
});

test('replay: hostile lines in the other formats are skipped too', async () => {
  const junk = Buffer.concat([
    Buffer.from('\u0000\u0000\u0000\n'),
    Buffer.from([0xff, 0xfe, 0x0a]),
    Buffer.from(`${'x'.repeat(100_000)}\n`),
    Buffer.from('{"type":"auth.login_failed","ts":"2026-03-02T08:00:00Z","ip":"1.2.3.4\u0000"}\n'),
  ]);
  for (const format of ['nginx', 'nginx-error', 'ndjson', 'journal-json'] as const) {
    const f = path.join(dir, `junk.${format}`);
    writeFileSync(f, junk);
    const s = await replayFiles({ files: [f], format, year: 2026, rules: resolveRules({}), onDetection: () => {} });
    assert.equal(s.lines, 4, format);
    assert.equal(s.parsed, 0, `${format}: ${JSON.stringify(s)}`);
    assert.equal(s.skipped + s.ignored, 4, format);
    assert.equal(s.skipReasons['line too long'], 1, format);
  }
});
