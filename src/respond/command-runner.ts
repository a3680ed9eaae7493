/**
 * Runs the `command` steps of runbooks: shell commands (spawned with
 * `shell: true` in their own process group) and SQL (`language: sql`, on a
 * fresh `pg` client). Never throws: every failure is a CommandResult with
 * `exitCode` other than 0 and an `error`.
 *
 * Invariants:
 * - the timeout always ends the command: SIGTERM to the whole process group,
 *   SIGKILL after `killGraceMs`, and the promise settles even when a
 *   grandchild keeps the pipes open;
 * - the command sees only the environment it is given (`env`; without one, a
 *   PATH alone), never Firebreak's own: the server's environment holds
 *   FIREBREAK_ADMIN_TOKEN, database URLs and webhook secrets;
 * - output (stdout and stderr interleaved) is bounded to `maxOutputBytes` of
 *   UTF-8 while it streams: the head and the tail are kept around a
 *   `[... N bytes truncated ...]` marker, memory stays bounded.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { MAX_OUTPUT_BYTES } from '../domain/runbook-run.ts';

export interface CommandResult {
  /** 0 on success; null when killed by a signal or never started. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped by the caller's AbortSignal (shutdown). */
  aborted: boolean;
  output: string;
  /** Bytes the command wrote in total (before bounding). */
  outputBytes: number;
  truncated: boolean;
  durationMs: number;
  /** Why it failed, for the timeline; absent on success. */
  error?: string;
}

/** What a command gets when the caller passes no environment. */
export const DEFAULT_COMMAND_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ShellCommand {
  command: string;
  /** The whole environment of the command (nothing is inherited). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  timeoutMs: number;
  maxOutputBytes?: number;
  killGraceMs?: number;
  signal?: AbortSignal;
}

/** Collects a stream of bytes into head + rolling tail, never holding more than ~3x the bound. */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private head: Buffer | null = null;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  total = 0;

  constructor(private readonly max: number = MAX_OUTPUT_BYTES) {}

  push(b: Buffer): void {
    this.total += b.length;
    if (this.head === null) {
      this.chunks.push(b);
      if (this.total <= this.max) return;
      const all = Buffer.concat(this.chunks);
      this.chunks.length = 0;
      this.head = all.subarray(0, Math.floor(this.max / 4));
      b = all.subarray(this.head.length);
    }
    this.tail.push(b);
    this.tailBytes += b.length;
    if (this.tailBytes > 2 * this.max) this.compactTail();
  }

  get truncated(): boolean {
    return this.head !== null;
  }

  private compactTail(): void {
    const t = Buffer.concat(this.tail);
    const keep = t.subarray(Math.max(0, t.length - this.max));
    this.tail = [keep];
    this.tailBytes = keep.length;
  }

  /** The bounded text: everything, or head + marker + tail within `max` bytes, cut at character boundaries. */
  text(): string {
    if (this.head === null) return Buffer.concat(this.chunks).toString('utf8');
    this.compactTail();
    const tail = this.tail[0] ?? Buffer.alloc(0);
    const headEnd = completeLength(this.head);
    const markerFor = (n: number) => `\n[... ${n} bytes truncated ...]\n`;
    const room = this.max - headEnd - Buffer.byteLength(markerFor(this.total));
    let tailStart = Math.max(0, tail.length - Math.max(0, room));
    while (tailStart < tail.length && (tail[tailStart]! & 0xc0) === 0x80) tailStart++;
    const kept = headEnd + (tail.length - tailStart);
    return this.head.subarray(0, headEnd).toString('utf8') + markerFor(this.total - kept) + tail.subarray(tailStart).toString('utf8');
  }
}

/** Length of `b` without an incomplete multi-byte character at its end. */
function completeLength(b: Buffer): number {
  let k = b.length - 1;
  while (k > 0 && (b[k]! & 0xc0) === 0x80) k--;
  const lead = b[k] ?? 0;
  const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return k < 0 || k + len <= b.length ? b.length : k;
}

/** Runs a shell command with a timeout, bounded output and its exit code. */
export function runShellCommand(spec: ShellCommand): Promise<CommandResult> {
  const t0 = performance.now();
  const out = new BoundedOutput(spec.maxOutputBytes ?? MAX_OUTPUT_BYTES);
  const grace = spec.killGraceMs ?? 2000;
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const env = { ...(spec.env ?? { PATH: DEFAULT_COMMAND_PATH }) };
    const child = spawn(spec.command, { shell: true, cwd: spec.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig); // the shell and everything it started
      } catch {
        try {
          child.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    const stop = (why: 'timeout' | 'abort') => {
      if (settled) return;
      if (why === 'timeout') timedOut = true;
      else aborted = true;
      killGroup('SIGTERM');
      timers.push(setTimeout(() => killGroup('SIGKILL'), grace));
    };
    const finish = (exitCode: number | null, signal: string | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      spec.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const error = spawnError
        ? `could not start: ${spawnError.message}`
        : timedOut
          ? `timed out after ${spec.timeoutMs} ms (killed)`
          : aborted
            ? 'stopped: Firebreak is shutting down'
            : exitCode !== 0
              ? exitCode === null
                ? `killed by ${signal}`
                : `exited with code ${exitCode}`
              : undefined;
      resolve({
        exitCode: spawnError ? null : exitCode,
        signal,
        timedOut,
        aborted,
        output: out.text(),
        outputBytes: out.total,
        truncated: out.truncated,
        durationMs: Math.round(performance.now() - t0),
        ...(error ? { error } : {}),
      });
    };
    const onAbort = () => stop('abort');
    if (spec.signal?.aborted) stop('abort');
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(setTimeout(() => stop('timeout'), spec.timeoutMs));
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => out.push(b));
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, sig) => finish(code, sig));
    // A grandchild that escaped the group may hold the pipes open: do not wait for it.
    child.on('exit', (code, sig) => timers.push(setTimeout(() => finish(code, sig), 1000)));
  });
}

export interface SqlCommand {
  url: string;
  query: string;
  timeoutMs: number;
  maxOutputBytes?: number;
}

/**
 * Runs SQL (one or more statements) on a fresh client and prints each
 * result as tab-separated rows with a header. Exit code 0 on success, 1 on error.
 */
export async function runSqlCommand(spec: SqlCommand): Promise<CommandResult> {
  const t0 = performance.now();
  const out = new BoundedOutput(spec.maxOutputBytes ?? MAX_OUTPUT_BYTES);
  const client = new pg.Client({
    connectionString: spec.url,
    connectionTimeoutMillis: spec.timeoutMs,
    query_timeout: spec.timeoutMs,
    statement_timeout: spec.timeoutMs,
  });
  client.on('error', () => {});
  let error: string | undefined;
  try {
    await client.connect();
    const res = (await client.query(spec.query)) as unknown as pg.QueryResult | pg.QueryResult[];
    for (const r of Array.isArray(res) ? res : [res]) {
      if (r.fields?.length) {
        out.push(Buffer.from(r.fields.map((f) => f.name).join('\t') + '\n'));
        for (const row of r.rows as Record<string, unknown>[])
          out.push(Buffer.from(r.fields.map((f) => formatCell(row[f.name])).join('\t') + '\n'));
      }
      out.push(Buffer.from(`(${r.command ?? 'OK'} ${r.rowCount ?? 0})\n`));
    }
  } catch (err) {
    error = `SQL failed: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
  return {
    exitCode: error ? 1 : 0,
    signal: null,
    timedOut: error !== undefined && /timeout/i.test(error),
    aborted: false,
    output: out.text(),
    outputBytes: out.total,
    truncated: out.truncated,
    durationMs: Math.round(performance.now() - t0),
    ...(error ? { error } : {}),
  };
}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
