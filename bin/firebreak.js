#!/usr/bin/env node
// Entry point of the `firebreak` command. It runs the plain-JavaScript build
// in dist/ (scripts/build-cli.js, run by `npm ci`) when that build is newer
// than every source it was made from; otherwise the TypeScript sources
// through tsx's loader, so `npm ci` is always the whole install. `replay`
// has a build of its own that loads nothing of the server.
import { fileURLToPath } from 'node:url';
import { buildIsFresh } from '../scripts/build-freshness.js';

const root = fileURLToPath(new URL('../', import.meta.url));

// `firebreak ... | head`: when the reader goes away, stop quietly instead of dying on EPIPE.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const build = process.argv[2] === 'replay' ? 'replay' : 'firebreak';
let entry;
if (process.env.FIREBREAK_NO_BUILD !== '1' && buildIsFresh(root, build)) entry = `../dist/${build}.mjs`;
else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = build === 'replay' ? '../src/cli/replay-main.ts' : '../src/cli/main.ts';
}
const { main } = await import(entry);
await main(process.argv);
