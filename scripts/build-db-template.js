#!/usr/bin/env node
// Makes dist/pglite-template.tar: a fresh, empty embedded PostgreSQL cluster,
// so that the first start of Firebreak loads it (under a second) instead of
// creating a cluster (initdb, several seconds). Runs as part of `prepare`
// (`npm ci`); skipped when the template exists for the installed PGlite.
// src/store/pglite-template.ts uses it. `--force` makes it again.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const meta = path.join(root, 'dist', 'pglite-template.json');
const pglitePackage = path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json');

if (!process.argv.includes('--force') && existsSync(meta) && existsSync(path.join(root, 'dist', 'pglite-template.tar'))) {
  try {
    const made = JSON.parse(readFileSync(meta, 'utf8')).pglite;
    if (made === JSON.parse(readFileSync(pglitePackage, 'utf8')).version) {
      if (!process.argv.includes('--quiet')) console.log(`dist/pglite-template.tar is up to date (PGlite ${made}); skipping.`);
      process.exit(0);
    }
  } catch {
    /* make it again */
  }
}

const t0 = Date.now();
const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-cluster-'));
try {
  const { PGlite } = await import('@electric-sql/pglite');
  // The TypeScript module writes the files; run it through tsx (a dependency).
  const { register } = await import('tsx/esm/api');
  register();
  const { saveClusterTemplate } = await import('../src/store/pglite-template.ts');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  const pg = new PGlite(path.join(dir, 'pg'));
  await pg.waitReady;
  const r = await saveClusterTemplate(pg);
  await pg.close();
  console.log(`made the embedded database template (${(r.bytes / 1e6).toFixed(0)} MB) in ${Date.now() - t0} ms: the first start skips initdb`);
} catch (err) {
  // Not fatal: without the template the first start creates the cluster itself.
  console.warn(`could not make the embedded database template: ${err && err.message ? err.message : err}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
