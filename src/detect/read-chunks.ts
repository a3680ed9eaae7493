/**
 * Fast chunked reading of large text files as whole lines, for replay.
 * `readline` costs a callback and a string per line through streams; this
 * reads big blocks with the next read already in flight (two buffers), and
 * hands over text that always ends at a line boundary, so the caller splits
 * lines with indexOf and never sees a line cut in two (or a UTF-8 character).
 */
import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/**
 * Calls `onText` with consecutive pieces of the file, each made of whole
 * lines (the last piece may lack its final newline), the number of bytes
 * consumed so far, and the piece's bytes (valid during the call only: the
 * buffer is reused). Awaits `onText` when it returns a promise.
 */
export async function readTextChunks(
  file: string,
  onText: (text: string, bytesRead: number, bytes: Buffer) => void | Promise<void>,
  chunkSize = DEFAULT_CHUNK,
  firstRead = chunkSize,
): Promise<void> {
  const fh = await open(file, 'r');
  // Reads grow from `firstRead` to `chunkSize` (x4 each): a pipeline downstream gets going sooner.
  let limit = firstRead;
  const read = (buf: Buffer, off: number) => {
    const n = Math.min(buf.length - off, limit);
    limit = Math.min(limit * 4, chunkSize);
    return fh.read(buf, off, n, null);
  };
  let pending: Promise<{ bytesRead: number }> | null = null;
  try {
    let cur = Buffer.allocUnsafe(chunkSize);
    let next = Buffer.allocUnsafe(chunkSize);
    let filled = 0; // bytes of `cur` holding data (a carried partial line, then the new read)
    let consumed = 0;
    pending = read(cur, 0);
    for (;;) {
      const { bytesRead } = await pending!;
      pending = null;
      filled += bytesRead;
      if (bytesRead === 0) {
        if (filled > 0) {
          consumed += filled;
          await onText(decode(cur, filled), consumed, cur.subarray(0, filled));
        }
        return;
      }
      const nl = cur.lastIndexOf(10, filled - 1);
      if (nl < 0) {
        // A line longer than the buffer: grow both buffers and read more into this one.
        if (filled === cur.length) {
          const bigger = Buffer.allocUnsafe(cur.length * 2);
          cur.copy(bigger, 0, 0, filled);
          cur = bigger;
          next = Buffer.allocUnsafe(cur.length);
        }
        pending = read(cur, filled);
        continue;
      }
      // Carry the partial last line into the other buffer and start the next read behind it.
      const carry = filled - (nl + 1);
      if (next.length < cur.length) next = Buffer.allocUnsafe(cur.length);
      cur.copy(next, 0, nl + 1, filled);
      pending = read(next, carry);
      consumed += nl + 1;
      const text = decode(cur, nl + 1);
      await onText(text, consumed, cur.subarray(0, nl + 1));
      const t = cur;
      cur = next;
      next = t;
      filled = carry;
    }
  } finally {
    if (pending) await pending.catch(() => undefined); // never close under an in-flight read
    await fh.close();
  }
}

/**
 * Calls `onLine(b, e)` for each line of `text` (whole lines, as readTextChunks hands them), [b, e) without
 * its line end: LF, CR LF, or CR CR LF (a CR LF file passed through a CR-adding relay).
 */
export function forEachLine(text: string, onLine: (b: number, e: number) => void): void {
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let end = nl;
    while (end > pos && text.charCodeAt(end - 1) === 13) end--;
    onLine(pos, end);
    pos = nl + 1;
  }
}

/** UTF-8 text of `buf[0, n)`; pure ASCII (the usual log) is copied as latin1, which is the same text, faster. */
export function decode(buf: Buffer, n: number): string {
  return isAscii(buf.subarray(0, n)) ? buf.toString('latin1', 0, n) : buf.toString('utf8', 0, n);
}
