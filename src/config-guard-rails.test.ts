// Guard rails of the configuration: escalation limits, and every config error
// (an alias bomb included) refused as `invalid` with the file's name, exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { run } from './cli/main.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-guard-rails-'));
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

function problemsOf(file: string): { message: string; details: { path?: string; message: string }[] } {
  try {
    loadConfig({ file, env: {} });
  } catch (e) {
    assert.ok(e instanceof AppError, `an AppError, not ${String(e)}`);
    assert.equal(e.code, 'invalid');
    return { message: e.message, details: e.details ?? [] };
  }
  assert.fail(`${file} was accepted`);
}

const policy = (body: string) => `
channels: [{ name: hook, type: webhook, url: "http://127.0.0.1:9000/hook" }]
escalation_policies:
  default:
${body}
`;

test('level_timeout 0s with repeat 100000 is refused, each with its path', () => {
  const file = write(
    'storm.yaml',
    policy('    levels: [{ notify: [channel:hook] }, { notify: [channel:hook], timeout: 5s }]\n    level_timeout: 0s\n    repeat: 100000'),
  );
  const { message, details } = problemsOf(file);
  assert.match(message, new RegExp(`in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.deepEqual(
    details.map((d) => d.path),
    ['escalation_policies.default.level_timeout', 'escalation_policies.default.levels[1].timeout', 'escalation_policies.default.repeat'],
  );
  assert.match(details[0]!.message, /0s is shorter than the minimum level timeout 1m/);
  assert.match(details[2]!.message, /100000 is more than the maximum 100/);
});

test('sane policies load; the limits can be moved within their hard bounds', () => {
  const ok = loadConfig({
    file: write('ok.yaml', policy('    levels: [{ notify: [channel:hook] }]\n    level_timeout: 1m\n    repeat: 100')),
    env: {},
  });
  assert.equal(ok.escalation_policies.default!.repeat, 100);
  assert.deepEqual(ok.escalation_limits, { min_level_timeout: 60_000, max_repeat: 100 });

  const drill =
    policy('    levels: [{ notify: [channel:hook] }]\n    level_timeout: 1s') + 'escalation_limits: { min_level_timeout: 1s }\n';
  assert.equal(loadConfig({ file: write('drill.yaml', drill), env: {} }).escalation_policies.default!.level_timeout, 1000);

  const { details } = problemsOf(
    write(
      'floor.yaml',
      policy('    levels: [{ notify: [channel:hook] }]') + 'escalation_limits: { min_level_timeout: 0s, max_repeat: 100000 }\n',
    ),
  );
  assert.deepEqual(
    details.map((d) => d.path),
    ['escalation_limits.min_level_timeout', 'escalation_limits.max_repeat'],
  );
});

test('a level without a timeout waits the severity deadline, so that is checked too', () => {
  const body = policy('    levels: [{ notify: [channel:hook] }]') + 'severities: { critical: { ack_deadline: 0s } }\n';
  assert.deepEqual(
    problemsOf(write('sev.yaml', body)).details.map((d) => d.path),
    ['severities.critical.ack_deadline'],
  );
  // With a policy timeout the deadline is not a level timeout: a short SLA alone is allowed.
  const timed =
    policy('    levels: [{ notify: [channel:hook] }]\n    level_timeout: 5m') + 'severities: { critical: { ack_deadline: 30s } }\n';
  assert.equal(loadConfig({ file: write('sev-ok.yaml', timed), env: {} }).ackDeadlinesMs.critical, 30_000);
});

test('notifications.timeout stays within the claim lease', () => {
  assert.deepEqual(
    problemsOf(write('nt.yaml', 'notifications: { timeout: 10m }\n')).details.map((d) => d.path),
    ['notifications.timeout'],
  );
});

const BOMB = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`;

test('a YAML alias bomb is a configuration error naming the file', () => {
  const file = write('bomb.yaml', BOMB);
  const { message, details } = problemsOf(file);
  assert.ok(message.includes(file), message);
  assert.match(details[0]!.message, /Excessive alias count/);
});

test('rule problems are configuration problems with the file too', () => {
  const file = write('rules.yaml', 'rules:\n  my_rule: { threshold: 3 }\n');
  const { message, details } = problemsOf(file);
  assert.ok(message.includes(file), message);
  assert.ok(details.some((d) => d.path === 'rules.my_rule.match'));
});

test('firebreak serve --config bomb.yaml exits 2 naming the file', async () => {
  const file = write('bomb2.yaml', BOMB);
  let err = '';
  const code = await run(['node', 'firebreak', 'serve', '--config', file, '--data-dir', path.join(dir, 'data')], {
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => ((err += s), true) } as never,
    env: {},
  });
  assert.equal(code, 2);
  assert.ok(err.includes(file), err);
  assert.match(err, /Excessive alias count/);
});
