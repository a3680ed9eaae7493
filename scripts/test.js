#!/usr/bin/env node
// Runs the whole suite with node's test runner: every *.test.ts under src/, sdk/
// and test/ (or the files/folders given as arguments). Store and HTTP tests run
// on the embedded PostgreSQL (PGlite) and, when TEST_DATABASE_URL is set, on
// that server as well.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const roots = args.length > 0 ? args : ['src', 'sdk', 'test'];

function collect(p, out) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return;
  }
  if (st.isDirectory()) {
    if (path.basename(p) === 'node_modules') return;
    for (const name of readdirSync(p).sort()) collect(path.join(p, name), out);
  } else if (/\.test\.(ts|js|mjs)$/.test(p)) out.push(p);
}
const files = [];
for (const r of roots) collect(path.resolve(root, r), files);
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
// End-to-end tests run `firebreak` as users do: through the dist/ builds
// (scripts/build-cli.js) when they are fresh. Bring them up to date first.
const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-cli.js'), '--quiet'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: process.env,
});
process.exit(res.status ?? 1);
