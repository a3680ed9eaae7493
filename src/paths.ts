/**
 * Where Firebreak's own files are (built-in runbooks, migrations, the
 * dashboard build, package.json): below the package root, found by walking
 * up from this module to the package.json named `firebreak`. The same code
 * then works from the TypeScript sources (src/) and from the build (dist/).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackage(): { root: string; version: string } {
  const from = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'firebreak') return { root: dir, version: pkg.version ?? '0.0.0' };
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find Firebreak's package.json above ${from}`);
  }
}

const PACKAGE = findPackage();

/** The folder of Firebreak's package.json. */
export const PACKAGE_ROOT: string = PACKAGE.root;
/** The version in package.json. */
export const PACKAGE_VERSION: string = PACKAGE.version;

/** A path below the package root. */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
