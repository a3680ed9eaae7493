/**
 * `firebreak replay`: run the detection rules over log files offline, with
 * no server and no database. One NDJSON line per firing on stdout, a summary
 * on stderr (with a progress bar when stderr is a terminal).
 */
import type { Command } from 'commander';
import { once } from 'node:events';
import { AppError, type ErrorDetail } from '../errors.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import type { Detection } from '../domain/event.ts';
import { LOG_FORMATS, isLogFormat, type SourceParserOptions } from '../detect/parsers/index.ts';
import { SSHD_MODES, type SshdMode } from '../detect/parsers/sshd-messages.ts';
import { compileLogFormat } from '../detect/parsers/nginx-format.ts';
import { isTimeZone } from '../detect/parsers/time-zone.ts';
import { parseCidr } from '../domain/ip.ts';
import { formatTsUs } from '../domain/time.ts';
import { replayFiles, type ReplaySummary } from '../detect/replay.ts';

/** Where the command writes and what environment it reads. */
export interface ReplayIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

const FLUSH_AT = 256 * 1024; // characters of buffered output before a write

const HELP_AFTER = `
Output (stdout): one JSON object per firing, in log order:
  {"rule":"brute_force_attempt","key":"ip:203.0.113.5","at":"2026-03-02T08:00:04.218229Z","value":5}
The summary (lines, parsed, ignored, skipped, detections, lines/s) goes to stderr.
Rules are the defaults, changed by the \`rules:\` section of --config (or FIREBREAK_CONFIG).
Give rotated files oldest first: they are read as one stream.
sshd input of 16 MB or more is read on two threads: one scans the lines, the other keeps the per-process
state and runs the rules (the same detections as one thread; --threads 1 keeps to one).
Formats: sshd (syslog files, any layout), journal-json (saved \`journalctl -o json\`), nginx (access log,
read by --log-format), nginx-error (basic-auth failures, limit_req rejections), ndjson (Firebreak events).
Repeat counts (\`message repeated N times\`) above 100 count as 100 (the rest is reported as clamped);
lines above 64 KiB and counts above 1,000,000 are skipped.

Examples:
  $ firebreak replay --format sshd --year 2026 /var/log/auth.log.1 /var/log/auth.log
  $ firebreak replay --format sshd --mode aggressive --time-zone Europe/Berlin /var/log/auth.log
  $ journalctl -u ssh -o json > ssh.json && firebreak replay --format journal-json ssh.json
  $ firebreak replay --format nginx /var/log/nginx/access.log > detections.ndjson
  $ firebreak replay --format nginx --log-format main --trusted-proxies 10.0.0.0/8 access.log
  $ firebreak replay --format nginx --log-format '%h %l %u %t "%r" %>s %b %D' apache.log
  $ firebreak replay --format ndjson --config firebreak.yaml events.ndjson
`;

/** Adds `replay` to the program. The action is async: run the program with `parseAsync`. */
export function registerReplayCommand(program: Command, io: ReplayIo): Command {
  return program
    .command('replay')
    .summary('detect incidents in log files offline (no server needed)')
    .description('Replay log files through the detection rules and print every firing as NDJSON.')
    .argument('[files...]', 'log files, oldest first')
    .option('--format <format>', `log format: ${LOG_FORMATS.join(', ')}`)
    .option('--year <year>', 'year of traditional syslog timestamps (default: the current year)')
    .option('--mode <mode>', `sshd, journal-json: fail2ban's filter mode, one of ${SSHD_MODES.join(', ')} (default: normal)`)
    .option('--time-zone <zone>', 'sshd, nginx-error: IANA zone of timestamps without an offset (default: UTC)')
    .option('--log-format <format>', 'nginx: the log_format string (nginx or Apache syntax) or a preset (default: combined)')
    .option('--trusted-proxies <cidrs>', 'nginx: comma-separated proxies whose X-Forwarded-For is trusted')
    .option('--config <file>', 'configuration file; only its `rules:` section is used')
    .option('--threads <n>', 'sshd: 1, or 2 to scan lines on a second thread (default: 2 from 16 MB of input)')
    .allowUnknownOption(true) // reported below as AppError('invalid') → exit 2
    .addHelpText('after', HELP_AFTER)
    .action(async (files: string[], opts: ReplayFlags) => {
      await runReplay(files, opts, io);
    });
}

interface ReplayFlags {
  format?: string;
  year?: string;
  config?: string;
  mode?: string;
  timeZone?: string;
  logFormat?: string;
  trustedProxies?: string;
  threads?: string;
}

/** The format options of the flags; problems are appended. */
function parserFlags(opts: ReplayFlags, problems: ErrorDetail[]): SourceParserOptions {
  const out: SourceParserOptions = {};
  if (opts.mode !== undefined) {
    if ((SSHD_MODES as readonly string[]).includes(opts.mode)) out.mode = opts.mode as SshdMode;
    else problems.push({ path: '--mode', message: `"${opts.mode}" is not one of ${SSHD_MODES.join(', ')}` });
  }
  if (opts.timeZone !== undefined) {
    if (isTimeZone(opts.timeZone)) out.timeZone = opts.timeZone;
    else problems.push({ path: '--time-zone', message: `"${opts.timeZone}" is not a time zone (an IANA name such as Europe/Berlin)` });
  }
  if (opts.logFormat !== undefined) {
    try {
      compileLogFormat(opts.logFormat);
      out.logFormat = opts.logFormat;
    } catch (err) {
      problems.push({ path: '--log-format', message: (err as Error).message });
    }
  }
  if (opts.trustedProxies !== undefined) {
    const list = opts.trustedProxies.split(',').map((c) => c.trim());
    const bad = list.filter((c) => parseCidr(c) === null);
    if (bad.length > 0) problems.push({ path: '--trusted-proxies', message: `not an address or CIDR: ${bad.join(', ')}` });
    else out.trustedProxies = list;
  }
  return out;
}

async function runReplay(files: string[], opts: ReplayFlags, io: ReplayIo): Promise<void> {
  const problems: ErrorDetail[] = [];
  for (const f of files) if (f.startsWith('-') && f !== '-') problems.push({ path: f, message: 'unknown option' });
  if (opts.format === undefined) problems.push({ path: '--format', message: `required: one of ${LOG_FORMATS.join(', ')}` });
  else if (!isLogFormat(opts.format))
    problems.push({ path: '--format', message: `"${opts.format}" is not one of ${LOG_FORMATS.join(', ')}` });
  let year: number | undefined;
  if (opts.year !== undefined) {
    if (!/^\d{4}$/.test(opts.year) || Number(opts.year) < 1970)
      problems.push({ path: '--year', message: `"${opts.year}" is not a year (YYYY)` });
    else year = Number(opts.year);
  }
  const parser = parserFlags(opts, problems);
  let threads: boolean | undefined;
  if (opts.threads !== undefined) {
    if (opts.threads === '1' || opts.threads === '2') threads = opts.threads === '2';
    else problems.push({ path: '--threads', message: `"${opts.threads}" is not 1 or 2` });
  }
  if (files.length === 0) problems.push({ path: 'FILE', message: 'give at least one log file' });
  if (problems.length > 0) {
    throw new AppError('invalid', `replay: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  }
  const rules = await loadRules(opts.config, io.env);

  let out = '';
  let drain: Promise<unknown> | null = null;
  // `firebreak replay ... | head`: once the reader is gone, stop quietly instead of dying on EPIPE.
  let streamError: NodeJS.ErrnoException | null = null;
  const onError = (err: NodeJS.ErrnoException) => {
    streamError ??= err; // the first error says why (later ones are "stream destroyed")
  };
  io.stdout.on('error', onError);
  const flush = async () => {
    if (streamError) {
      out = '';
      if (streamError.code === 'EPIPE') throw new StdoutClosed();
      throw streamError;
    }
    if (out.length > 0) {
      const ok = io.stdout.write(out);
      out = '';
      if (!ok) drain = once(io.stdout, 'drain');
    }
    if (drain) {
      try {
        await drain;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new StdoutClosed();
        throw err;
      } finally {
        drain = null;
      }
    }
  };
  const onDetection = (d: Detection) => {
    out += `${JSON.stringify({ rule: d.rule, key: d.key, at: formatTsUs(d.atUs), value: d.value })}\n`;
  };

  // Loaded only for a terminal: the bar is the only user.
  const cliProgress = io.stderr.isTTY ? (await import('cli-progress')).default : null;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        {
          stream: io.stderr,
          format: 'replay [{bar}] {percentage}% | {lines} lines | {detections} detections | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let summary: ReplaySummary;
  try {
    bar?.start(1, 0, { lines: 0, detections: 0 });
    summary = await replayFiles({
      files,
      format: opts.format as (typeof LOG_FORMATS)[number],
      year,
      parser,
      rules,
      onDetection,
      threads,
      onProgress: async (p) => {
        if (bar) {
          bar.setTotal(Math.max(1, p.totalBytes));
          bar.update(p.bytesRead, { lines: p.lines, detections: p.detections });
        }
        if (out.length >= FLUSH_AT) await flush();
      },
    });
  } catch (err) {
    if (err instanceof StdoutClosed) return;
    throw err;
  } finally {
    bar?.stop();
    io.stdout.removeListener('error', onError);
  }
  try {
    await flush();
  } catch (err) {
    if (err instanceof StdoutClosed) return;
    throw err;
  }
  io.stderr.write(formatSummary(summary));
}

/** Thrown from the progress hook to end a replay whose stdout reader went away. */
class StdoutClosed extends Error {}

/**
 * The rules to replay: the defaults changed by the config file's `rules:`.
 * Without a config file (no --config, no FIREBREAK_CONFIG) the defaults are
 * used as is, and the config schema (zod, yaml: ~0.2 s of start-up) is not loaded.
 */
async function loadRules(file: string | undefined, env: Record<string, string | undefined>): Promise<RuleSpec[]> {
  if (file === undefined && !env.FIREBREAK_CONFIG) return resolveRules({});
  const { loadConfig } = await import('../config.ts');
  const config = loadConfig({ file, env });
  return resolveRules(config.rules, { maxKeys: config.detection.max_keys });
}

/** The human summary written to stderr. */
export function formatSummary(s: ReplaySummary): string {
  const reasons = Object.entries(s.skipReasons)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r}: ${n}`)
    .join(', ');
  return [
    `lines: ${s.lines}`,
    `parsed: ${s.parsed}`,
    `ignored: ${s.ignored}`,
    `skipped: ${s.skipped}${reasons ? ` (${reasons})` : ''}`,
    ...(s.clamped > 0 ? [`clamped: ${s.clamped} (repeat counts above 100)`] : []),
    `detections: ${s.detections}`,
    `seconds: ${s.seconds.toFixed(3)}`,
    `lines/s: ${s.linesPerSecond}${s.threads > 1 ? ` (${s.threads} threads)` : ''}`,
    '',
  ].join('\n');
}
