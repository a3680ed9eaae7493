#!/usr/bin/env node
// Entry point of the `firebreak` command. It runs the plain-JavaScript build
// in dist/ (scripts/build-cli.js, run by `npm ci`) when that build is newer
// than every source it was made from; otherwise the TypeScript sources
// through tsx's loader, so `npm ci` is always the whole install. `replay`
// has a build of its own that loads nothing of the server.
import { existsSync } from 'node:fs';
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
// An sshd replay scans on a second thread (src/detect/scan-in-worker.ts): start it now, while the replay's
// code loads, so it is ready about 30 ms sooner. Unused (a small file), it just exits with the process.
const replayArgs = ` ${process.argv.slice(3).join(' ')} `;
if (entry === '../dist/replay.mjs' && /\s--format[= ]sshd\s/.test(replayArgs) && !/\s--threads[= ]1\s/.test(replayArgs)) {
  const script = fileURLToPath(new URL('../dist/replay-scan-worker.mjs', import.meta.url));
  if (existsSync(script)) {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(script);
    worker.unref();
    globalThis[Symbol.for('firebreak.scan-worker')] = worker;
  }
}
const { main } = await import(entry);
await main(process.argv);
