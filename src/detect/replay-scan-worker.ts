/**
 * Worker thread of an sshd replay (scan-in-worker.ts starts it): reads a
 * log file in chunks, scans every line (sshd-scan.ts) and posts each chunk's
 * bytes with its scanned lines, while the main thread applies the state and
 * runs the rules on the chunk before. At most IN_FLIGHT chunks wait for the
 * main thread, so a slow consumer holds the reader back and memory stays
 * bounded whatever the file's size.
 */
import { parentPort } from 'node:worker_threads';
import { MAX_LINE_CHARS } from './parsers/index.ts';
import { SshdScan, SshdScanner } from './parsers/sshd-scan.ts';
import { ScanWriter } from './parsers/sshd-scan-codec.ts';
import { forEachLine, forEachText, readLineChunks } from './read-chunks.ts';
import type { ScanAck, ScanChunkMessage, ScanRequest, ScanWorkerMessage } from './scan-in-worker.ts';

const IN_FLIGHT = 3;
/** How fast the share of lines left unclassified for the main thread adapts, per chunk, and its cap. */
const DEFER_STEP = 0.05;
const MAX_DEFER = 0.9;
/** Where the share starts: about where it settles on the bench's auth.log (0.15–0.35). */
const FIRST_DEFER = 0.2;
/** The first read is small, so the main thread gets its first lines (and starts warming up) sooner; reads then grow. */
const FIRST_READ = 64 * 1024;

const port = parentPort;
if (port === null) throw new Error('replay-scan-worker runs as a worker thread');

let inFlight = 0;
let wake: (() => void) | null = null;
let writer = new ScanWriter();
/** Chunk byte buffers given back by the main thread, to copy the next chunks into (no fresh pages each time). */
const spareBytes: Uint8Array<ArrayBuffer>[] = [];
/** Share of lines whose message the main thread classifies (0..MAX_DEFER), and the running sum that picks them. */
let deferRatio = 0;
let share = 0;

port.on('message', (m: ScanRequest | ScanAck) => {
  if (m.type === 'ack') {
    inFlight--;
    writer.recycle(m.ints, m.ts);
    spareBytes.push(new Uint8Array(m.bytes));
    const w = wake;
    wake = null;
    w?.();
  } else void scan(m);
});

function post(m: ScanWorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

async function scan(req: ScanRequest): Promise<void> {
  const scanner = new SshdScanner({ year: req.year, timeZone: req.timeZone, mode: req.mode });
  const s = new SshdScan();
  writer = new ScanWriter();
  deferRatio = FIRST_DEFER;
  share = 0;
  try {
    await readLineChunks(
      req.file,
      async (bytes, bytesRead) => {
        // Balance: with at most the chunk it is on, the main thread will wait for this one, so leave it more of
        // the classifying; with more queued it is the slower one, so take some back.
        if (req.defer !== undefined) deferRatio = req.defer;
        else if (inFlight <= 1) deferRatio = Math.min(MAX_DEFER, deferRatio + DEFER_STEP);
        else deferRatio = Math.max(0, deferRatio - DEFER_STEP);
        forEachText(bytes, (text, byteEnd) => {
          forEachLine(text, (b, e) => {
            if (e - b > MAX_LINE_CHARS) writer.pushSkip('line too long');
            else {
              share += deferRatio;
              const defer = share >= 1;
              if (defer) share -= 1;
              scanner.scan(text, b, e, s, !defer);
              writer.push(s, text);
            }
          });
          writer.endPiece(byteEnd);
        });
        const batch = writer.take();
        // The bytes travel, moved (not serialized like a string); the main thread decodes them to the same text.
        let own = spareBytes.pop();
        if (own === undefined || own.length < bytes.length) own = new Uint8Array(Math.max(bytes.length, req.chunkSize ?? 0));
        own.set(bytes);
        own = own.subarray(0, bytes.length);
        const m: ScanChunkMessage = { type: 'chunk', bytes: own, bytesRead, batch };
        inFlight++;
        post(m, [own.buffer, batch.ints.buffer, batch.ts.buffer]);
        while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => (wake = r));
      },
      req.chunkSize,
      FIRST_READ,
    );
    post({ type: 'end' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    post({ type: 'error', message: e?.message ?? String(err), code: e?.code, syscall: e?.syscall });
  }
}
