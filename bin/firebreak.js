#!/usr/bin/env node
// Entry point of the `firebreak` command. TypeScript sources run through tsx's
// loader, so `npm ci` is the whole install. `replay` takes a lighter path: the
// plain-JavaScript build in dist/replay.mjs (scripts/build-cli.js, run by
// `npm ci`) when it is newer than every source it was built from, else the
// replay-only TypeScript entry through tsx.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** True when dist/replay.mjs exists and no source listed in its manifest changed after the build. */
function replayBuildIsFresh() {
  if (process.env.FIREBREAK_NO_BUILD === '1') return false;
  try {
    const m = JSON.parse(readFileSync(new URL('dist/replay.json', root), 'utf8'));
    statSync(new URL('dist/replay.mjs', root));
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

let entry;
if (process.argv[2] === 'replay' && replayBuildIsFresh()) entry = '../dist/replay.mjs';
else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = process.argv[2] === 'replay' ? '../src/cli/replay-main.ts' : '../src/cli/main.ts';
}
const { main } = await import(entry);
await main(process.argv);
