// When a build in dist/ may be used: dist/<name>.mjs exists and no source
// listed in its manifest (dist/<name>.json, written by scripts/build-cli.js)
// changed after the build. Shared by the build script (to skip a build) and
// bin/firebreak.js (to run it), so both mean the same by "fresh".
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** @param {string} root the package root @param {string} name the build's name (`firebreak`, `replay`) */
export function buildIsFresh(root, name) {
  try {
    const m = JSON.parse(readFileSync(path.join(root, 'dist', `${name}.json`), 'utf8'));
    statSync(path.join(root, 'dist', `${name}.mjs`));
    for (const f of m.inputs) if (statSync(path.join(root, f)).mtimeMs > m.builtAtMs) return false;
    return true;
  } catch {
    return false;
  }
}
