#!/usr/bin/env node
// Builds the `firebreak` command into plain JavaScript with esbuild (already
// installed: tsx runs on it), so no TypeScript is compiled when it starts:
//   dist/firebreak.mjs  every command (src/cli/main.ts); packages stay in node_modules
//   dist/replay.mjs     `firebreak replay` alone, its few packages bundled in: an
//                       offline replay starts in ~0.1 s instead of ~0.25 s;
//                       dist/replay-scan-worker.mjs is its sshd scanning thread
// bin/firebreak.js runs a build when it is newer than every source it was
// built from (dist/<name>.json lists them); otherwise it runs the TypeScript
// sources through tsx. Same code either way.
//
// Runs as part of `prepare` (so `npm ci` builds it), before `npm test` and
// before `npm run bench`. Skips a build that is up to date; `--force` builds anyway.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsFresh } from './build-freshness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

// Bundled CommonJS packages (commander, yaml) call require() for node: built-ins.
const REQUIRE_SHIM =
  "import { createRequire as __fbCreateRequire } from 'node:module';\nconst require = __fbCreateRequire(import.meta.url);";

const BUILDS = [
  {
    name: 'firebreak',
    entry: 'src/cli/main.ts',
    options: { outfile: path.join(dist, 'firebreak.mjs'), packages: 'external' },
  },
  {
    name: 'replay',
    entry: { replay: 'src/cli/replay-main.ts', 'replay-scan-worker': 'src/detect/replay-scan-worker.ts' },
    options: {
      outdir: dist,
      entryNames: '[name]',
      // The config schema (zod, yaml) is loaded only with --config: keep it in its own chunk.
      splitting: true,
      chunkNames: 'replay-[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      banner: { js: REQUIRE_SHIM },
    },
  },
];

const todo = BUILDS.filter((b) => force || !buildIsFresh(root, b.name));
if (todo.length === 0) {
  if (!quiet) console.log('dist/ is up to date; skipping the command build. Use --force to rebuild.');
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.warn(
    `esbuild is not available (${err && err.message ? err.message : err}): firebreak will run its TypeScript sources through tsx, a little slower to start.`,
  );
  process.exit(0);
}

mkdirSync(dist, { recursive: true });
for (const b of todo) {
  const t0 = Date.now();
  // The clock is read before esbuild reads the sources: a file saved during the build counts as newer.
  const builtAtMs = Date.now();
  rmSync(path.join(dist, `${b.name}.json`), { force: true }); // never a manifest that vouches for a half-written build
  if (b.options.splitting) for (const f of readdirSync(dist)) if (f.startsWith(`${b.name}-`)) rmSync(path.join(dist, f)); // old chunks
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: typeof b.entry === 'string' ? [b.entry] : b.entry,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      metafile: true,
      logLevel: 'warning',
      legalComments: 'none',
      ...b.options,
    });
  } catch (err) {
    console.error(`build of dist/${b.name}.mjs failed: ${err && err.message ? err.message : err}`);
    process.exit(1);
  }
  // Our own sources only: node_modules change through npm ci, which runs this again.
  // This script counts as a source: changed build options mean a new build.
  const inputs = ['scripts/build-cli.js', ...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'))];
  writeFileSync(path.join(dist, `${b.name}.json`), `${JSON.stringify({ entry: b.entry, builtAtMs, inputs }, null, 2)}\n`);
  if (!quiet) console.log(`built dist/${b.name}.mjs from ${inputs.length} sources in ${Date.now() - t0} ms`);
}
