/**
 * Verifying a backup file: read it through once and check everything — the
 * gzip stream (CRC, length, nothing after it), every tar header's checksum,
 * the end marker, the manifest (shape and totals), every part's SHA-256, size
 * and row count against the manifest, no part missing or extra, and the gzip
 * header against the manifest. Any problem is an AppError('conflict') (CLI
 * exit 1) naming the file and the problem; nothing is written anywhere.
 */
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { AppError } from '../../errors.ts';
import { MANIFEST_FILE, manifestProblems, manifestSchema, type BackupManifest } from '../../domain/backup-manifest.ts';
import { readArchive } from './archive.ts';
import type { ProgressFn } from './create-backup.ts';

export interface VerifiedBackup {
  path: string;
  bytes: number;
  manifest: BackupManifest;
  parts: number;
}

function refuse(file: string, why: string, cause?: unknown): AppError {
  return new AppError('conflict', `backup ${file} failed verification: ${why}`, { cause });
}

export async function verifyBackupFile(file: string, onProgress?: ProgressFn): Promise<VerifiedBackup> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new AppError('invalid', `${file} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('not_found', `no backup at ${file}: ${(err as Error).message}`, { cause: err });
  }
  const raw = createReadStream(file);
  let read = 0;
  raw.on('data', (c: Buffer | string) => {
    read += c.length;
    onProgress?.(read, size, 'bytes');
  });
  const info: { gzipHeader?: string } = {};
  const seen: { name: string; sha256: string; bytes: number; rows: number }[] = [];
  let manifestText: Buffer | null = null;
  try {
    for await (const e of readArchive(raw, info)) {
      if (manifestText) throw refuse(file, `entry ${e.name} comes after the manifest`);
      if (e.name === MANIFEST_FILE) manifestText = e.data;
      else {
        let rows = 0;
        for (let i = e.data.indexOf(0x0a); i !== -1; i = e.data.indexOf(0x0a, i + 1)) rows++;
        seen.push({ name: e.name, sha256: createHash('sha256').update(e.data).digest('hex'), bytes: e.data.length, rows });
      }
    }
  } catch (err) {
    if (err instanceof AppError && err.message.startsWith('backup ')) throw err;
    throw refuse(file, (err as Error).message, err);
  }
  if (!manifestText) throw refuse(file, `it has no ${MANIFEST_FILE}: not a Firebreak backup`);
  let json: unknown;
  try {
    json = JSON.parse(manifestText.toString('utf8'));
  } catch (err) {
    throw refuse(file, `the manifest is not JSON: ${(err as Error).message}`, err);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw refuse(
      file,
      `the manifest is not a Firebreak backup manifest (${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .slice(0, 3)
        .join('; ')})`,
    );
  const manifest = parsed.data;
  const problems = manifestProblems(manifest);
  if (problems.length) throw refuse(file, `the manifest is inconsistent: ${problems.join('; ')}`);
  if (info.gzipHeader !== manifest.gzip_header)
    throw refuse(file, `the gzip header is ${info.gzipHeader}, the manifest recorded ${manifest.gzip_header}`);
  const expected = manifest.tables.flatMap((t) => t.parts);
  for (let i = 0; i < Math.max(expected.length, seen.length); i++) {
    const want = expected[i];
    const got = seen[i];
    if (!want) throw refuse(file, `unexpected entry ${got!.name}`);
    if (!got) throw refuse(file, `part ${want.file} is missing`);
    if (got.name !== want.file) throw refuse(file, `found ${got.name} where ${want.file} was expected`);
    if (got.sha256 !== want.sha256) throw refuse(file, `part ${want.file}: SHA-256 mismatch (manifest ${want.sha256}, file ${got.sha256})`);
    if (got.bytes !== want.bytes || got.rows !== want.rows)
      throw refuse(file, `part ${want.file}: ${got.bytes} bytes / ${got.rows} rows, the manifest says ${want.bytes} / ${want.rows}`);
  }
  return { path: file, bytes: size, manifest, parts: expected.length };
}
