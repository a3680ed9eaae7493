/**
 * The backup container: a gzip-compressed ustar (POSIX tar) archive, written
 * and read here without extra packages. `tar -xzf backup.tar.gz` unpacks it.
 *
 * - Entries are regular files (typeflag '0'), mode 0600, owner firebreak,
 *   names under `firebreak-backup/`; each is a 512-byte ustar header (with its
 *   checksum) and the data padded to 512 bytes; two zero blocks end it.
 * - One gzip member (RFC 1952). gzip's CRC-32 and length trailer cover every
 *   byte of the tar stream; the 10-byte gzip header is recorded in the
 *   manifest, so every byte of the file is covered.
 *
 * The reader refuses, with a message naming the problem: a gzip stream that
 * ends early (truncated file), corrupt compressed data or a CRC mismatch, a
 * tar header whose checksum is wrong, a missing end marker, anything after the
 * end of the gzip stream, and data after the end marker that is not zeros.
 */
import { createGzip, createGunzip, gzipSync, type Gzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import { AppError } from '../../errors.ts';

const BLOCK = 512;
const GZIP_LEVEL = 6;

/** The gzip header this writer produces (it depends only on the level and the platform). */
export function gzipHeaderHex(): string {
  return gzipSync(Buffer.alloc(0), { level: GZIP_LEVEL }).subarray(0, 10).toString('hex');
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, size: number, mtimeMs: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new AppError('internal', `archive entry name too long: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o600, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtimeMs / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('firebreak', 265, 'ascii');
  h.write('firebreak', 297, 'ascii');
  h.write(octal(checksum(h), 7) + ' ', 148, 'ascii');
  return h;
}

/** Sum of the header's bytes with the checksum field counted as spaces. */
function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum;
}

export interface ArchiveWriter {
  add(name: string, data: Buffer): Promise<void>;
  /** Writes the end marker and finishes the gzip stream (the output is ended too). */
  finish(): Promise<void>;
  /** Uncompressed bytes written so far. */
  bytes(): number;
}

/** Writes an archive into `out` (a file or an HTTP response), respecting back-pressure. */
export function createArchiveWriter(out: Writable, mtimeMs: number): ArchiveWriter {
  const gzip: Gzip = createGzip({ level: GZIP_LEVEL });
  let failed: Error | null = null;
  gzip.on('error', (e) => (failed = e));
  out.on('error', (e) => (failed = e));
  gzip.pipe(out);
  let written = 0;
  const write = async (b: Buffer) => {
    if (failed) throw failed;
    written += b.length;
    if (!gzip.write(b))
      await new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          gzip.off('drain', done);
          out.off('error', done);
          if (e) reject(e);
          else resolve();
        };
        gzip.once('drain', done);
        out.once('error', done);
      });
  };
  return {
    async add(name, data) {
      await write(tarHeader(name, data.length, mtimeMs));
      await write(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) await write(Buffer.alloc(pad, 0));
    },
    async finish() {
      await write(Buffer.alloc(2 * BLOCK, 0));
      await new Promise<void>((resolve, reject) => {
        out.once('finish', resolve);
        out.once('close', resolve);
        out.once('error', reject);
        gzip.end();
      });
      if (failed) throw failed;
    },
    bytes: () => written,
  };
}

export interface ArchiveEntry {
  name: string;
  data: Buffer;
}

function damaged(why: string, cause?: unknown): AppError {
  return new AppError('conflict', why, { cause });
}

function gzipProblem(err: unknown): AppError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR') return damaged('the file is truncated: the compressed stream ends early', err);
  if (e.code === 'Z_DATA_ERROR') return damaged(`the compressed data is corrupt (gzip: ${e.message})`, err);
  if (err instanceof AppError) return err;
  return damaged(`cannot read the file: ${e.message}`, err);
}

/** Collects chunks and hands out exact byte counts without copying more than needed. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.length -= n;
    return out;
  }
}

/**
 * Reads the entries of an archive from the raw (compressed) bytes. The data of
 * an entry is only trustworthy once the iteration has finished without error
 * (gzip checks its CRC at the end). `result.gzipHeader` is set as soon as the
 * first bytes are read.
 */
export async function* readArchive(
  raw: Readable,
  result: { gzipHeader?: string; compressedBytes?: number } = {},
): AsyncGenerator<ArchiveEntry> {
  const gunzip = createGunzip();
  let rawBytes = 0;
  let head = Buffer.alloc(0);
  raw.on('data', (c: Buffer) => {
    rawBytes += c.length;
    if (head.length < 10) head = Buffer.concat([head, c.subarray(0, 10 - head.length)]);
  });
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  const q = new ByteQueue();
  let pending: { name: string; size: number } | null = null;
  let ended = false;
  let index = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      result.gzipHeader ??= head.length === 10 ? head.toString('hex') : undefined;
      q.push(chunk);
      for (;;) {
        if (ended) {
          const rest = q.take(q.length);
          if (rest.some((b) => b !== 0)) throw damaged('unexpected data after the end of the archive');
          break;
        }
        if (pending) {
          const padded = pending.size + ((BLOCK - (pending.size % BLOCK)) % BLOCK);
          if (q.length < padded) break;
          const data = q.take(padded).subarray(0, pending.size);
          const name = pending.name;
          pending = null;
          yield { name, data };
          continue;
        }
        if (q.length < BLOCK) break;
        const h = q.take(BLOCK);
        index++;
        if (h.every((b) => b === 0)) {
          ended = true;
          continue;
        }
        const stored = parseInt(
          h
            .toString('ascii', 148, 156)
            .replace(/[\0 ]+$/, '')
            .trim(),
          8,
        );
        if (stored !== checksum(h)) throw damaged(`archive header ${index} is corrupt (checksum mismatch)`);
        if (h.toString('ascii', 257, 262) !== 'ustar') throw damaged(`archive header ${index} is not a ustar header`);
        const type = String.fromCharCode(h[156]!);
        if (type !== '0' && type !== '\0') throw damaged(`archive entry ${index} is not a regular file (type ${JSON.stringify(type)})`);
        const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
        const size = parseInt(h.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim(), 8);
        if (!Number.isSafeInteger(size) || size < 0) throw damaged(`archive entry ${name} has an unreadable size`);
        pending = { name, size };
      }
    }
  } catch (err) {
    throw gzipProblem(err);
  }
  if (!ended)
    throw damaged(
      pending ? `the file is truncated: entry ${pending.name} is incomplete` : 'the file is truncated: the archive has no end marker',
    );
  if (rawBytes !== gunzip.bytesWritten)
    throw damaged(`${rawBytes - gunzip.bytesWritten} unexpected bytes after the end of the compressed data`);
  result.compressedBytes = rawBytes;
}
