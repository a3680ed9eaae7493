/**
 * A fresh embedded cluster, made once at install time: creating one (initdb)
 * takes seconds, loading this copy a fraction of that, so the first
 * `npm start` answers sooner. `npm ci` writes it to dist/ (scripts/build-db-template.js);
 * it is used only with the PGlite version that made it, and only for a data
 * directory that has no cluster yet. Without it a cluster is made as usual.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { packagePath } from '../paths.ts';

const TEMPLATE = packagePath('dist', 'pglite-template.tar');
const META = packagePath('dist', 'pglite-template.json');
const PGLITE_PACKAGE = packagePath('node_modules', '@electric-sql', 'pglite', 'package.json');

/** The installed PGlite version, or null when it is not where a root install puts it. */
function pgliteVersion(): string | null {
  try {
    return (JSON.parse(readFileSync(PGLITE_PACKAGE, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** True when the template exists and was made by the installed PGlite. */
export function clusterTemplateIsCurrent(): boolean {
  try {
    if (!existsSync(TEMPLATE)) return false;
    const version = pgliteVersion();
    return version !== null && (JSON.parse(readFileSync(META, 'utf8')) as { pglite?: string }).pglite === version;
  } catch {
    return false;
  }
}

/** The template as PGlite's `loadDataDir` takes it, or undefined when there is none for this PGlite. */
export function loadClusterTemplate(): Blob | undefined {
  if (!clusterTemplateIsCurrent()) return undefined;
  try {
    return new Blob([readFileSync(TEMPLATE)], { type: 'application/x-tar' });
  } catch {
    return undefined;
  }
}

/** Writes the template from a freshly created, still empty cluster. */
export async function saveClusterTemplate(fresh: PGlite): Promise<{ file: string; bytes: number }> {
  mkdirSync(path.dirname(TEMPLATE), { recursive: true });
  const dump = await fresh.dumpDataDir('none');
  const bytes = Buffer.from(await dump.arrayBuffer());
  writeFileSync(TEMPLATE, bytes);
  writeFileSync(META, `${JSON.stringify({ pglite: pgliteVersion() }, null, 2)}\n`);
  return { file: TEMPLATE, bytes: bytes.length };
}
