// The CLI as a user runs it: exit codes, --help, invalid configuration, and
// token management directly on the database while no server runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { runCli } from './support/process.ts';

test('--help explains, unknown commands and bad flags exit 2', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  for (const cmd of ['serve', 'token', 'incidents', 'health', 'runbooks', 'replay']) assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
  assert.equal((await runCli(['frobnicate'])).code, 2);
  const badPort = await runCli(['serve', '--port', 'eighty']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /port/);
});

test('an invalid config file exits 2 and lists every problem with its path', async () => {
  const tdb = await createTestDatabase('embedded');
  const file = `${tdb.dataDir}/bad.yaml`;
  writeFileSync(
    file,
    'server: {port: "abc"}\nrules:\n  brute_force_attempt: {threshold: -1, window: 10x}\nchannels:\n  - {name: a, type: pigeon}\nbogus: 1\n',
  );
  const r = await runCli(['serve', '--config', file, '--data-dir', tdb.dataDir]);
  assert.equal(r.code, 2, r.stderr);
  for (const p of ['server.port', 'rules.brute_force_attempt.threshold', 'rules.brute_force_attempt.window', 'channels[0].type', 'bogus']) {
    assert.ok(r.stderr.includes(p), `missing ${p} in:\n${r.stderr}`);
  }
  writeFileSync(file, 'server: [unclosed\n');
  const y = await runCli(['serve', '--config', file, '--data-dir', tdb.dataDir]);
  assert.equal(y.code, 2);
  assert.match(y.stderr, /bad\.yaml:\d+:\d+/);
  await tdb.destroy();
});

test('token create|list|revoke work on the database while no server runs', async () => {
  const tdb = await createTestDatabase('embedded');
  const env = { FIREBREAK_DATA_DIR: tdb.dataDir, FIREBREAK_URL: '', FIREBREAK_TOKEN: '' };
  const c = await runCli(['token', 'create', '--role', 'responder', '--name', 'alice'], { env });
  assert.equal(c.code, 0, c.stderr);
  const secret = c.stdout.trim().split('\n').pop()!;
  assert.match(secret, /^fbk_[A-Za-z0-9_-]{43}$/);
  const list = await runCli(['token', 'list', '--json'], { env });
  const items = JSON.parse(list.stdout).items as { id: string; name: string; role: string }[];
  const alice = items.find((t) => t.name === 'alice')!;
  assert.equal(alice.role, 'responder');
  assert.ok(!list.stdout.includes(secret), 'secrets are never listed');
  const rv = await runCli(['token', 'revoke', alice.id], { env });
  assert.equal(rv.code, 0, rv.stderr);
  assert.equal((await runCli(['token', 'revoke', alice.id], { env })).code, 1, 'revoking twice is a conflict');
  const bad = await runCli(['token', 'create', '--role', 'root', '--name', 'x'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /role/);
  await tdb.destroy();
});

test('the dist build (npm ci and npm test make it) and the TypeScript sources answer alike', async () => {
  assert.ok(
    existsSync(new URL('../dist/firebreak.mjs', import.meta.url)),
    'dist/firebreak.mjs is missing: run `npm run build:cli` (npm test does)',
  );
  for (const args of [['--version'], ['--help'], ['runbooks', 'list'], ['incidents', '--help'], ['frobnicate']]) {
    const built = await runCli(args);
    const sources = await runCli(args, { env: { FIREBREAK_NO_BUILD: '1' } });
    assert.equal(built.code, sources.code, args.join(' '));
    assert.equal(built.stdout, sources.stdout, args.join(' '));
    assert.equal(built.stderr, sources.stderr, args.join(' '));
  }
});
