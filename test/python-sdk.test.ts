// Runs the Python SDK's tests (sdk/python/tests, unittest) with Debian's
// /usr/bin/python3 and its python3-fastapi, python3-uvicorn and python3-httpx
// (.ci/run installs them), so `npm test` covers the Python SDK too. The
// Python tests start real `firebreak serve` processes from this checkout.
// Missing Python or packages fail this test: it never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './support/process.ts';

const PYTHON = '/usr/bin/python3';
const SDK = path.join(REPO, 'sdk/python');

test('the Python SDK (FastAPI middleware, guard, reporter) passes its tests against a real Firebreak', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: install python3 (.ci/run does)`);
  const probe = spawnSync(PYTHON, ['-c', 'import sys, fastapi, uvicorn, httpx; assert sys.version_info >= (3, 9)'], { encoding: 'utf8' });
  assert.equal(
    probe.status,
    0,
    `${PYTHON} lacks the test packages: apt-get install -y python3-fastapi python3-uvicorn python3-httpx (.ci/run does)\n${probe.stderr}`,
  );
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PYTHONPATH: SDK, FIREBREAK_NODE: process.execPath };
  delete env.PYTHONHOME;
  const child = spawn(PYTHON, ['-m', 'unittest', 'discover', '-s', path.join(SDK, 'tests'), '-t', SDK, '-v'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const summary = /^Ran (\d+) tests?/m.exec(out);
  assert.equal(code, 0, `python -m unittest exited with ${code}:\n${out.slice(-8000)}`);
  assert.ok(summary && Number(summary[1]) >= 20, `expected the whole Python suite to run:\n${out.slice(-2000)}`);
  // The figures the acceptance scenario measures, for the log.
  for (const line of out.split('\n')) if (line.includes('→')) console.log(line.trim());
});
