// The cross-reference check of the configuration: names that point at other
// entries must exist; every problem is listed with its path; the CLI exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { run } from './cli/main.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-refs-'));
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

const BAD = `
channels:
  - { name: mail, type: email, smtp_url: "smtp://127.0.0.1:2525", from: fb@example.com }
  - { name: mail, type: log }
people:
  - { id: alice, email: alice@example.com, notify: [mail, pager] }
schedules:
  - name: primary
    time_zone: Mars/Olympus
    rotation: { every: 1w, members: [alice, bob] }
escalation_policies:
  default:
    levels:
      - { notify: [channel:ops-hook, schedule:primary] }
      - { notify: [person:carol, schedule:secondary] }
`;

test('every dangling reference is reported with its path', () => {
  let err: unknown;
  try {
    loadConfig({ file: write('bad.yaml', BAD), env: {} });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof AppError && err.code === 'invalid');
  assert.deepEqual(
    err.details!.map((d) => d.path),
    [
      'channels[1].name',
      'people[0].notify[1]',
      'schedules[0]',
      'schedules[0].rotation.members[1]',
      'escalation_policies.default.levels[0].notify[0]',
      'escalation_policies.default.levels[1].notify[0]',
      'escalation_policies.default.levels[1].notify[1]',
    ],
  );
  const text = err.details!.map((d) => d.message).join('\n');
  assert.match(text, /no channel is named "pager"/);
  assert.match(text, /Mars\/Olympus/);
  assert.match(text, /no person has id "bob"/);
  assert.match(text, /no schedule is named "secondary"/);
});

test('a consistent configuration loads', () => {
  const good = BAD.replace('  - { name: mail, type: log }\n', '  - { name: ops-hook, type: webhook, url: "http://127.0.0.1:9000/hook" }\n')
    .replace('[mail, pager]', '[mail]')
    .replace('Mars/Olympus', 'Europe/Berlin')
    .replace('[alice, bob]', '[alice]')
    .replace('person:carol, schedule:secondary', 'person:alice');
  const c = loadConfig({ file: write('good.yaml', good), env: {} });
  assert.equal(c.escalation_policies.default!.levels.length, 2);
});

test('firebreak serve with dangling references exits 2 and lists them', async () => {
  let err = '';
  const code = await run(['node', 'firebreak', 'serve', '--config', write('bad2.yaml', BAD), '--data-dir', path.join(dir, 'data')], {
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => ((err += s), true) } as never,
    env: {},
  });
  assert.equal(code, 2);
  assert.match(err, /escalation_policies\.default\.levels\[1\]\.notify\[1\]: no schedule is named "secondary"/);
});
