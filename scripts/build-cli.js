#!/usr/bin/env node
// Builds `firebreak replay` into one plain-JavaScript file, dist/replay.mjs,
// with esbuild (already installed: tsx runs on it). bin/firebreak.js runs that
// file for `replay` when it is newer than every source it was built from, so
// an offline replay starts in ~0.1 s instead of ~0.25 s through tsx's loader;
// otherwise (not built, or a source edited since) it runs the TypeScript
// sources through tsx as every other command does. Same code either way.
//
// Runs as part of `prepare` (so `npm ci` builds it), before `npm test` and
// before `npm run bench`. Skips the build when dist/replay.mjs is up to date;
// `--force` builds anyway.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'replay.mjs');
const manifest = path.join(dist, 'replay.json');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

/** True when the manifest names its inputs and none changed after the build. */
function upToDate() {
  if (!existsSync(out) || !existsSync(manifest)) return false;
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    return m.inputs.every((f) => statSync(path.join(root, f)).mtimeMs <= m.builtAtMs);
  } catch {
    return false;
  }
}

if (!force && upToDate()) {
  if (!quiet) console.log('dist/replay.mjs is up to date; skipping the replay build. Use --force to rebuild.');
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.warn(`esbuild is not available (${err && err.message ? err.message : err}): replay will run through tsx, a little slower to start.`);
  process.exit(0);
}

const t0 = Date.now();
// The clock is read before esbuild reads the sources: a file saved during the build counts as newer.
const builtAtMs = Date.now();
mkdirSync(dist, { recursive: true });
for (const f of readdirSync(dist)) if (f.startsWith('replay')) rmSync(path.join(dist, f)); // old chunks
let result;
try {
  result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/cli/replay-main.ts'],
    outdir: dist,
    entryNames: 'replay',
    // The config schema (zod, yaml) is loaded only with --config: keep it in its own chunk.
    splitting: true,
    chunkNames: 'replay-[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    // Bundled CommonJS packages (commander, yaml) call require() for node: built-ins.
    banner: { js: "import { createRequire as __fbCreateRequire } from 'node:module';\nconst require = __fbCreateRequire(import.meta.url);" },
  });
} catch (err) {
  console.error(`replay build failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
}
// Our own sources only: node_modules change through npm ci, which runs this again.
// This script counts as a source: changed build options mean a new build.
const inputs = ['scripts/build-cli.js', ...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'))];
writeFileSync(manifest, `${JSON.stringify({ entry: 'src/cli/replay-main.ts', builtAtMs, inputs }, null, 2)}\n`);
if (!quiet) console.log(`replay built into dist/replay.mjs from ${inputs.length} sources in ${Date.now() - t0} ms`);
