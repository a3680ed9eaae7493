/**
 * The manifest of a Firebreak backup (`manifest.json`, the archive's last
 * entry): what was backed up and how to check it. Format version 1:
 *
 *   format          "firebreak-backup"
 *   format_version  1
 *   created_at      RFC 3339, when the snapshot was taken
 *   firebreak_version, source ("embedded" | "server")
 *   schema_version  the newest applied migration; `migrations` lists all applied ones
 *   gzip_header     hex of the file's 10-byte gzip header (the one part of the
 *                   file that gzip's CRC does not cover)
 *   tables          in restore order (referenced tables first): name, the
 *                   columns stored, row count, and its parts, each
 *                   {file, rows, bytes, sha256} of the NDJSON text
 *   sequences       {name, last_value (text), is_called} at snapshot time
 *   total_rows
 */
import { z } from 'zod';

export const BACKUP_FORMAT = 'firebreak-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'firebreak-backup/manifest.json';

const partSchema = z.object({
  file: z.string().regex(/^firebreak-backup\/parts\/\d{6}-[^/]+\.ndjson$/),
  rows: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const tableSchema = z.object({
  name: z.string().min(1).max(63),
  columns: z.array(z.string().min(1).max(63)).min(1),
  rows: z.number().int().min(0),
  parts: z.array(partSchema),
});

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  format_version: z.number().int().min(1),
  created_at: z.string(),
  firebreak_version: z.string(),
  source: z.enum(['embedded', 'server']),
  schema_version: z.number().int().min(0),
  migrations: z.array(z.number().int().min(1)),
  gzip_header: z.string().regex(/^[0-9a-f]{20}$/),
  tables: z.array(tableSchema),
  sequences: z.array(z.object({ name: z.string().min(1), last_value: z.string().regex(/^-?\d+$/), is_called: z.boolean() })),
  total_rows: z.number().int().min(0),
});
export type BackupManifest = z.infer<typeof manifestSchema>;
export type BackupTable = z.infer<typeof tableSchema>;
export type BackupPart = z.infer<typeof partSchema>;

/** The archive name of a table's n-th part (n counts across the whole backup, so names sort in restore order). */
export function partFileName(seq: number, table: string): string {
  return `firebreak-backup/parts/${String(seq).padStart(6, '0')}-${table}.ndjson`;
}

/**
 * Checks a manifest's internal consistency; returns the problems (empty when
 * sound). Totals must add up, part files must be unique and in order, and the
 * schema version must be the newest migration.
 */
export function manifestProblems(m: BackupManifest): string[] {
  const problems: string[] = [];
  if (m.format_version !== BACKUP_FORMAT_VERSION)
    problems.push(`format version ${m.format_version} is not supported (this Firebreak reads version ${BACKUP_FORMAT_VERSION})`);
  const seen = new Set<string>();
  let total = 0;
  let last = '';
  for (const t of m.tables) {
    if (seen.has(t.name)) problems.push(`table ${t.name} is listed twice`);
    seen.add(t.name);
    const rows = t.parts.reduce((n, p) => n + p.rows, 0);
    if (rows !== t.rows) problems.push(`table ${t.name}: its parts hold ${rows} rows, the manifest says ${t.rows}`);
    total += t.rows;
    for (const p of t.parts) {
      if (p.file <= last) problems.push(`part ${p.file} is out of order`);
      last = p.file;
    }
  }
  if (total !== m.total_rows) problems.push(`the tables hold ${total} rows, the manifest says ${m.total_rows}`);
  const newest = m.migrations.length ? Math.max(...m.migrations) : 0;
  if (newest !== m.schema_version) problems.push(`schema version ${m.schema_version} is not the newest migration (${newest})`);
  return problems;
}
