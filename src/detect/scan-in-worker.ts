/**
 * An sshd replay on two threads: a worker (replay-scan-worker.ts) reads the
 * file and scans its lines, the calling thread applies the per-process
 * state and runs the rules, one chunk behind. Scanning is most of a line's
 * cost and needs no state but the year, so the two halves overlap and a
 * replay takes about as long as the slower of them. The result is the same
 * as one thread's: the same scanner, the same state, the same order.
 *
 * The worker balances the two: when this thread would wait, it leaves it a
 * share of the classifying (replay-scan-worker.ts). Starting a worker costs
 * tens of milliseconds: replay uses it for large inputs only (see replay.ts),
 * and bin/firebreak.js starts it before the replay's code loads. Where the
 * worker's script cannot be found (a partial build), `ScanWorker.start`
 * returns null and replay stays on one thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SshdMode } from './parsers/sshd-messages.ts';
import type { ScanBatch } from './parsers/sshd-scan-codec.ts';

/** What the worker is asked to scan. */
export interface ScanRequest {
  type: 'scan';
  file: string;
  year: number;
  timeZone?: string;
  mode?: SshdMode;
  chunkSize?: number;
  /** A fixed share (0..1) of lines whose classifying is left to the main thread (tests); default: adapted as it goes. */
  defer?: number;
}

/** A chunk of whole lines (its bytes: read-chunks.ts's `decode` gives, piece by piece, the texts the scans' offsets are in) and their scans. */
export interface ScanChunkMessage {
  type: 'chunk';
  bytes: Uint8Array<ArrayBuffer>;
  /** Bytes of the file read so far. */
  bytesRead: number;
  batch: ScanBatch;
}

/** The main thread is done with a chunk: its arrays and byte buffer go back to the worker for reuse. */
export interface ScanAck {
  type: 'ack';
  ints: Int32Array<ArrayBuffer>;
  ts: Float64Array<ArrayBuffer>;
  bytes: ArrayBuffer;
}

export type ScanWorkerMessage = ScanChunkMessage | { type: 'end' } | { type: 'error'; message: string; code?: string; syscall?: string };

/** Where bin/firebreak.js leaves a worker it started before the replay's code loaded. */
const PRESTARTED = Symbol.for('firebreak.scan-worker');

/** The worker's script next to this module: the TypeScript source, or the build's .mjs (scripts/build-cli.js). */
function workerScript(): string | null {
  const here = import.meta.url;
  const file = fileURLToPath(new URL(here.endsWith('.ts') ? './replay-scan-worker.ts' : './replay-scan-worker.mjs', here));
  return existsSync(file) ? file : null;
}

/** A started scan worker; scan files one at a time, then `close`. */
export class ScanWorker {
  private constructor(private readonly worker: Worker) {}

  /** Starts the worker, or returns null when its script is not there. */
  static start(): ScanWorker | null {
    const pre = (globalThis as Record<symbol, unknown>)[PRESTARTED];
    if (pre instanceof Worker) {
      delete (globalThis as Record<symbol, unknown>)[PRESTARTED];
      return new ScanWorker(pre);
    }
    const script = workerScript();
    if (script === null) return null;
    let worker: Worker;
    if (script.endsWith('.ts')) {
      // Node 20's workers do not inherit a loader registered in code (bin/firebreak.js runs sources through
      // tsx's API when there is no fresh build): register tsx in the worker before importing the source.
      const tsx = import.meta.resolve('tsx/esm/api');
      const src = pathToFileURL(script).href;
      worker = new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(src)}); })`, {
        eval: true,
      });
    } else worker = new Worker(script);
    worker.unref();
    return new ScanWorker(worker);
  }

  /**
   * Scans one file; calls `onChunk` for each chunk in order and awaits it before the worker may run
   * more than a few chunks ahead. Rejects with the read error (its `code` and `syscall` kept).
   */
  scan(req: Omit<ScanRequest, 'type'>, onChunk: (m: ScanChunkMessage) => void | Promise<void>): Promise<void> {
    const w = this.worker;
    return new Promise<void>((resolve, reject) => {
      let chain = Promise.resolve();
      const done = (err?: unknown) => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onMessage = (m: ScanWorkerMessage) => {
        chain = chain.then(async () => {
          if (m.type === 'chunk') {
            await onChunk(m);
            // The chunk's arrays and bytes go back to be written again (the text was decoded from a copy).
            const ack: ScanAck = {
              type: 'ack',
              ints: m.batch.ints,
              ts: m.batch.ts,
              bytes: m.bytes.buffer,
            };
            w.postMessage(ack, [ack.ints.buffer, ack.ts.buffer, ack.bytes]);
          } else if (m.type === 'end') done();
          else done(Object.assign(new Error(m.message), { code: m.code, syscall: m.syscall }));
        });
        chain.catch(done);
      };
      const onError = (err: Error) => done(err);
      const onExit = (code: number) => done(new Error(`the replay scan worker exited (${code})`));
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.ref();
      w.postMessage({ type: 'scan', ...req } satisfies ScanRequest);
    }).finally(() => w.unref());
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
