#!/usr/bin/env node
// Entry point of the `firebreak` command. It runs the plain-JavaScript build
// in dist/ (scripts/build-cli.js, run by `npm ci`) when that build is newer
// than every source it was made from; otherwise the TypeScript sources
// through tsx's loader, so `npm ci` is always the whole install. `replay`
// has a build of its own that loads nothing of the server.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** True when dist/<name>.mjs exists and no source listed in its manifest changed after the build. */
function buildIsFresh(name) {
  if (process.env.FIREBREAK_NO_BUILD === '1') return false;
  try {
    const m = JSON.parse(readFileSync(new URL(`dist/${name}.json`, root), 'utf8'));
    statSync(new URL(`dist/${name}.mjs`, root));
    for (const f of m.inputs) if (statSync(new URL(f, root)).mtimeMs > m.builtAtMs) return false;
    return true;
  } catch {
    return false;
  }
}

// `firebreak ... | head`: when the reader goes away, stop quietly instead of dying on EPIPE.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const build = process.argv[2] === 'replay' ? 'replay' : 'firebreak';
let entry;
if (buildIsFresh(build)) entry = `../dist/${build}.mjs`;
else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = build === 'replay' ? '../src/cli/replay-main.ts' : '../src/cli/main.ts';
}
const { main } = await import(entry);
await main(process.argv);
