#!/usr/bin/env node
// Makes dist/pglite-template.tar: a fresh, empty embedded PostgreSQL cluster,
// so that the first start of Firebreak loads it (under a second) instead of
// creating a cluster (initdb, several seconds). Runs as part of `prepare`
// (`npm ci`); skipped when the template exists for the installed PGlite.
// The template itself is src/store/pglite-template.ts's business (run here
// through tsx, a dependency). `--force` makes it again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { clusterTemplateIsCurrent, saveClusterTemplate } = await import('../src/store/pglite-template.ts');

if (!process.argv.includes('--force') && clusterTemplateIsCurrent()) {
  if (!process.argv.includes('--quiet')) console.log('dist/pglite-template.tar is up to date for the installed PGlite; skipping.');
  process.exit(0);
}

const t0 = Date.now();
const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-cluster-'));
try {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = new PGlite(path.join(dir, 'pg'));
  await pg.waitReady;
  const r = await saveClusterTemplate(pg);
  await pg.close();
  console.log(
    `made the embedded database template (${(r.bytes / 1e6).toFixed(0)} MB) in ${Date.now() - t0} ms: the first start skips initdb`,
  );
} catch (err) {
  // Not fatal: without the template the first start creates the cluster itself.
  console.warn(`could not make the embedded database template: ${err && err.message ? err.message : err}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
