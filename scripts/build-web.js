#!/usr/bin/env node
// Builds the dashboard (web/) into web/dist with Vite; the server serves it at `/`.
// Runs as `npm run build:web` and as the `prepare` script (so `npm ci` builds it).
// Skips the build when web/dist/index.html is newer than every source file, so
// repeated installs stay fast; `--force` builds anyway.
// When Vite is not installed (dev dependencies omitted), it says so and exits 0:
// the server then answers `/` with a page that asks for `npm run build:web`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist');
const force = process.argv.includes('--force');

/** Newest mtime (ms) of the files under p (skips dist and node_modules). */
function newest(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(p)) {
    if (name === 'dist' || name === 'node_modules') continue;
    max = Math.max(max, newest(path.join(p, name)));
  }
  return max;
}

const built = path.join(dist, 'index.html');
if (!force && existsSync(built)) {
  const inputs = Math.max(
    newest(path.join(web, 'src')),
    newest(path.join(web, 'public')),
    newest(path.join(web, 'index.html')),
    newest(path.join(web, 'vite.config.ts')),
  );
  if (statSync(built).mtimeMs > inputs) {
    console.log('web/dist is up to date (newer than every file in web/); skipping the dashboard build. Use --force to rebuild.');
    process.exit(0);
  }
}

let vite;
try {
  vite = await import('vite');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.warn(
      'vite is not installed (dev dependencies omitted?): the dashboard was not built. Install them and run `npm run build:web`.',
    );
    process.exit(0);
  }
  throw err;
}

const t0 = Date.now();
try {
  await vite.build({ configFile: path.join(web, 'vite.config.ts'), root: web, logLevel: process.env.CI ? 'warn' : 'info' });
} catch (err) {
  console.error(`dashboard build failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
}
console.log(`dashboard built into web/dist in ${Date.now() - t0} ms`);
