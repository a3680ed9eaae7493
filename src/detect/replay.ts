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
import type { Detection } from '../domain/event.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import { createLineParser, isLogFormat, LOG_FORMATS, MAX_LINE_CHARS, type LogFormat, type SourceParserOptions } from './parsers/index.ts';
import { readTextChunks } from './read-chunks.ts';

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

/** Replays log files through the rules; see the module comment. */
export async function replayFiles(opts: ReplayOptions): Promise<ReplaySummary> {
  const sizes = await checkInputs(opts);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const engine = new RuleEngine(opts.rules, { maxKeysPerRule: opts.maxKeysPerRule });
  const onDetection = opts.onDetection;
  const skipReasons = new Map<string, number>();
  let lines = 0;
  let parsed = 0;
  let ignored = 0;
  let skipped = 0;
  let events = 0;
  let clamped = 0;
  let detections = 0;
  let bytesBefore = 0;
  const started = performance.now();

  for (let f = 0; f < opts.files.length; f++) {
    const file = opts.files[f]!;
    const parser = createLineParser(opts.format, { ...opts.parser, year: opts.year, now: opts.now });
    await readTextChunks(
      file,
      (text, bytesRead) => {
        const len = text.length;
        let pos = 0;
        while (pos < len) {
          let nl = text.indexOf('\n', pos);
          if (nl < 0) nl = len;
          let end = nl;
          // CR LF and CR CR LF (a CR LF file passed through a CR-adding relay)
          while (end > pos && text.charCodeAt(end - 1) === 13) end--;
          lines++;
          const ev = end - pos > MAX_LINE_CHARS ? null : parser.parseRange(text, pos, end);
          if (ev !== null) {
            parsed++;
            clamped += parser.clamped;
            for (let k = parser.repeat; k > 0; k--) {
              events++;
              const ds = engine.process(ev);
              for (let i = 0; i < ds.length; i++) {
                detections++;
                onDetection(ds[i]!);
              }
            }
            const also = parser.also;
            if (also !== null) {
              events++;
              const ds = engine.process(also);
              for (let i = 0; i < ds.length; i++) {
                detections++;
                onDetection(ds[i]!);
              }
            }
          } else if (end - pos <= MAX_LINE_CHARS && parser.skip === 'ignored') ignored++;
          else {
            skipped++;
            const reason = end - pos > MAX_LINE_CHARS ? 'line too long' : parser.reason;
            skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
          }
          pos = nl + 1;
        }
        return opts.onProgress?.({ file, bytesRead: bytesBefore + bytesRead, totalBytes, lines, detections });
      },
      opts.chunkSize,
    ).catch((err: unknown) => {
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

  const seconds = (performance.now() - started) / 1000;
  return {
    lines,
    parsed,
    ignored,
    skipped,
    events,
    clamped,
    detections,
    seconds,
    linesPerSecond: seconds > 0 ? Math.round(lines / seconds) : lines,
    skipReasons: Object.fromEntries(skipReasons),
  };
}
