/**
 * Offline replay: log files → parser → RuleEngine → detections, with no
 * server and no database. The same engine as live detection, fed with the
 * events' own timestamps, so a replay gives the detections live tailing
 * would have given.
 *
 * Files are read in the order given, as one stream (pass rotated files
 * oldest first); each file gets its own parser (sshd year inference is per
 * file) and they share one engine.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { AppError, type ErrorDetail } from '../errors.ts';
import type { Detection, FbEvent } from '../domain/event.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import {
  createLineParser,
  isLogFormat,
  LOG_FORMATS,
  MAX_LINE_CHARS,
  type LineParser,
  type LogFormat,
  type SourceParserOptions,
} from './parsers/index.ts';
import { SshdParser } from './parsers/sshd.ts';
import { SshdScan } from './parsers/sshd-scan.ts';
import { ScanReader } from './parsers/sshd-scan-codec.ts';
import { decode, forEachLine, forEachText, readLineChunks } from './read-chunks.ts';
import { ScanWorker } from './scan-in-worker.ts';

/** Options of `replayFiles`. */
export interface ReplayOptions {
  files: readonly string[];
  format: LogFormat;
  /** Year of traditional syslog timestamps; default: the current year. */
  year?: number;
  /** Format options: sshd mode, time zone, nginx log_format and trusted proxies. */
  parser?: SourceParserOptions;
  rules: readonly RuleSpec[];
  /** Called synchronously for each firing, in order. */
  onDetection: (d: Detection) => void;
  /** Called after each chunk of input (a few MB); awaited when it returns a promise (use it to flush output). */
  onProgress?: (p: ReplayProgress) => void | Promise<void>;
  maxKeysPerRule?: number;
  /** Clock for the default year. */
  now?: () => Date;
  /** Read block size in bytes (tests use small ones). */
  chunkSize?: number;
  /** sshd: scan on a worker thread; default: when the files hold at least THREADED_MIN_BYTES. */
  threads?: boolean;
  /** Threaded sshd (tests): a fixed share of lines classified on this thread instead of the adaptive one. */
  scanDefer?: number;
}

/** Progress after a chunk. */
export interface ReplayProgress {
  file: string;
  /** Bytes read so far over all files. */
  bytesRead: number;
  /** Size of all files at the start. */
  totalBytes: number;
  lines: number;
  detections: number;
}

/** What a replay did. `lines` = `parsed` + `ignored` + `skipped`. */
export interface ReplaySummary {
  lines: number;
  /** Lines that made an event. */
  parsed: number;
  /** Valid lines without relevance (other programs, pam_unix, blank lines, ...). */
  ignored: number;
  /** Lines that could not be parsed. */
  skipped: number;
  /** Events fed to the engine (`message repeated N times` lines count N). */
  events: number;
  /** Occurrences claimed by repeat counts beyond the cap (sshd MAX_REPEAT), not fed to the engine. */
  clamped: number;
  detections: number;
  seconds: number;
  linesPerSecond: number;
  /** Threads that read the input: 2 when an sshd replay scanned on a worker (scan-in-worker.ts), else 1. */
  threads: number;
  /** Skipped lines per reason. */
  skipReasons: Record<string, number>;
}

/** Checks the inputs before anything is read: unknown format or unreadable files → AppError('invalid'). */
async function checkInputs(opts: ReplayOptions): Promise<number[]> {
  const problems: ErrorDetail[] = [];
  if (!isLogFormat(opts.format)) problems.push({ path: 'format', message: `must be one of ${LOG_FORMATS.join(', ')}` });
  if (opts.files.length === 0) problems.push({ path: 'files', message: 'give at least one log file' });
  const sizes: number[] = [];
  for (const f of opts.files) {
    try {
      const st = await stat(f);
      if (!st.isFile()) problems.push({ path: f, message: 'not a regular file' });
      sizes.push(st.size);
    } catch (err) {
      problems.push({
        path: f,
        message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`,
      });
    }
  }
  if (problems.length > 0) {
    throw new AppError('invalid', `cannot replay: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  }
  return sizes;
}

/** Inputs at least this large replay sshd on two threads (scan-in-worker.ts); smaller ones are done before a worker starts. */
export const THREADED_MIN_BYTES = 16 * 1024 * 1024;

/** Read block of a threaded replay: smaller than one thread's, so the pipeline fills and drains sooner (measured: 1 MB beats 4 MB and 256 KB). */
const THREADED_CHUNK = 1 << 20;

/** The counts of a replay, and the feeding of its events to the engine. */
class Tally {
  lines = 0;
  parsed = 0;
  ignored = 0;
  skipped = 0;
  events = 0;
  clamped = 0;
  detections = 0;
  readonly skipReasons = new Map<string, number>();

  constructor(
    private readonly engine: RuleEngine,
    private readonly onDetection: (d: Detection) => void,
  ) {}

  /** The outcome of one line: `ev` from `parser` (its `repeat`, `clamped`, `also`), or null and the parser's skip. */
  line(ev: FbEvent | null, parser: LineParser): void {
    this.lines++;
    if (ev !== null) {
      this.parsed++;
      this.clamped += parser.clamped;
      for (let k = parser.repeat; k > 0; k--) this.feed(ev);
      if (parser.also !== null) this.feed(parser.also);
    } else if (parser.skip === 'ignored') this.ignored++;
    else this.skip(parser.reason);
  }

  tooLong(): void {
    this.lines++;
    this.skip('line too long');
  }

  private skip(reason: string): void {
    this.skipped++;
    this.skipReasons.set(reason, (this.skipReasons.get(reason) ?? 0) + 1);
  }

  private feed(ev: FbEvent): void {
    this.events++;
    const ds = this.engine.process(ev);
    for (let i = 0; i < ds.length; i++) {
      this.detections++;
      this.onDetection(ds[i]!);
    }
  }
}

/** Replays log files through the rules; see the module comment. */
export async function replayFiles(opts: ReplayOptions): Promise<ReplaySummary> {
  const sizes = await checkInputs(opts);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const tally = new Tally(new RuleEngine(opts.rules, { maxKeysPerRule: opts.maxKeysPerRule }), opts.onDetection);
  const year = opts.year ?? (opts.now ? opts.now() : new Date()).getUTCFullYear();
  const threaded = opts.format === 'sshd' && (opts.threads ?? totalBytes >= THREADED_MIN_BYTES);
  const worker = threaded ? ScanWorker.start() : null;
  let bytesBefore = 0;
  const started = performance.now();
  try {
    for (let f = 0; f < opts.files.length; f++) {
      const file = opts.files[f]!;
      const progress = (bytesRead: number) =>
        opts.onProgress?.({ file, bytesRead: bytesBefore + bytesRead, totalBytes, lines: tally.lines, detections: tally.detections });
      const read =
        worker !== null ? replaySshdThreaded(worker, file, year, opts, tally, progress) : replayInline(file, year, opts, tally, progress);
      await read.catch((err: unknown) => {
        // The callbacks' own errors pass through; a file that vanished or cannot be read is bad input.
        const e = err as NodeJS.ErrnoException | undefined;
        if (e?.syscall === 'open' || e?.syscall === 'read') {
          throw new AppError('invalid', `cannot read ${file}: ${e.message}`, {
            cause: err,
            details: [{ path: file, message: e.code ?? 'read error' }],
          });
        }
        throw err;
      });
      bytesBefore += sizes[f]!;
    }
  } finally {
    await worker?.close();
  }

  const seconds = (performance.now() - started) / 1000;
  return {
    lines: tally.lines,
    parsed: tally.parsed,
    ignored: tally.ignored,
    skipped: tally.skipped,
    events: tally.events,
    clamped: tally.clamped,
    detections: tally.detections,
    seconds,
    linesPerSecond: seconds > 0 ? Math.round(tally.lines / seconds) : tally.lines,
    threads: worker !== null ? 2 : 1,
    skipReasons: Object.fromEntries(tally.skipReasons),
  };
}

type Progress = (bytesRead: number) => void | Promise<void>;

/** One file on this thread: each file gets its own parser (sshd year inference is per file). */
function replayInline(file: string, year: number, opts: ReplayOptions, tally: Tally, progress: Progress): Promise<void> {
  const parser = createLineParser(opts.format, { ...opts.parser, year });
  return readLineChunks(
    file,
    (bytes, bytesRead) => {
      forEachText(bytes, (text) =>
        forEachLine(text, (b, e) => {
          if (e - b > MAX_LINE_CHARS) tally.tooLong();
          else tally.line(parser.parseRange(text, b, e), parser);
        }),
      );
      return progress(bytesRead);
    },
    opts.chunkSize,
  );
}

/** One sshd file scanned by the worker; the state and the rules here, a chunk behind. */
function replaySshdThreaded(worker: ScanWorker, file: string, year: number, opts: ReplayOptions, tally: Tally, progress: Progress) {
  const parser = new SshdParser({ ...opts.parser, year });
  const reader = new ScanReader();
  const s = new SshdScan();
  const req = {
    file,
    year,
    timeZone: opts.parser?.timeZone,
    mode: opts.parser?.mode,
    chunkSize: opts.chunkSize ?? THREADED_CHUNK,
    defer: opts.scanDefer,
  };
  return worker.scan(req, ({ bytes, batch, bytesRead }) => {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    reader.begin(batch);
    // The worker cut the bytes into pieces of text (forEachText); each line's offsets are in its piece's text.
    let i = 0;
    let byteStart = 0;
    for (let p = 0; p < batch.pieces.length; p += 2) {
      const byteEnd = batch.pieces[p]!;
      const text = decode(buf, byteStart, byteEnd);
      for (const last = i + batch.pieces[p + 1]!; i < last; i++) {
        reader.read(batch, i, s);
        tally.line(parser.apply(text, s), parser);
      }
      byteStart = byteEnd;
    }
    return progress(bytesRead);
  });
}
