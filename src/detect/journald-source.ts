/**
 * Follows the systemd journal for given units (docs/log-sources.md
 * "journald"): runs `journalctl --follow --output=json -u <unit>…` and feeds
 * its sshd entries to the pipeline (Debian 12 logs sshd only to the journal
 * unless rsyslog is installed).
 *
 * The journal cursor of the last entry read is saved like a file position
 * (source_positions; the cursor is kept in its `carry` column, the text to
 * resume from), in the same transaction as the events it covers: a restart
 * resumes with `--after-cursor`, neither re-counting nor skipping entries.
 * Without a saved cursor it starts at the end of the journal (`--lines=0`),
 * like the file source (old entries are history: use `replay --format
 * journal-json` for them). When journalctl exits it is started again after a
 * back-off (1 s doubling to 30 s); the status says why.
 *
 * Back-pressure: when the pipeline refuses a batch (full), reading pauses and
 * the same batch is offered again every 250 ms: nothing is dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { getSourcePosition, type SourcePosition } from '../store/source-position-repo.ts';
import type { FbEvent } from '../domain/event.ts';
import { AppError } from '../errors.ts';
import { MAX_LINE_CHARS } from './parsers/index.ts';
import { JournalJsonParser } from './parsers/journal-json.ts';
import type { SshdMode } from './parsers/sshd-messages.ts';
import { newSourceStatus, type FileSource } from './file-source.ts';
import type { Pipeline } from './pipeline.ts';

export interface JournaldSourceConfig {
  name?: string;
  units: readonly string[];
  mode?: SshdMode;
  /** The journalctl executable; default `journalctl` from PATH. */
  journalctl?: string;
}

const RETRY_MS = 250;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

export function createJournaldSource(opts: { cfg: JournaldSourceConfig; db: Db; pipeline: Pipeline; logger: Logger }): FileSource {
  const units = opts.cfg.units;
  const name = opts.cfg.name ?? `journald:${units.join(',')}`;
  const path = `journal:${units.join(',')}`;
  const parser = new JournalJsonParser({ mode: opts.cfg.mode });
  let child: ChildProcess | null = null;
  let cursor: string | null = null;
  let carry = '';
  let stopped = true;
  let backoff = BACKOFF_MIN_MS;
  let restartTimer: NodeJS.Timeout | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let pending: { events: FbEvent[]; position: SourcePosition } | null = null;
  let inFlight = false;
  const st = newSourceStatus(name, path, 'journal-json');

  function args(): string[] {
    const a = ['--follow', '--output=json', '--no-pager', '--quiet'];
    for (const u of units) a.push('--unit', u);
    a.push(cursor === null ? '--lines=0' : `--after-cursor=${cursor}`);
    return a;
  }

  function run(): void {
    if (stopped) return;
    let proc: ChildProcess;
    try {
      proc = spawn(opts.cfg.journalctl ?? 'journalctl', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      return failed(`cannot run journalctl: ${(err as Error).message}`);
    }
    child = proc;
    let stderr = '';
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-1000)));
    proc.stdout!.on('data', (d: string) => onData(d));
    proc.on('error', (err) => failed(`cannot run journalctl: ${err.message}`));
    proc.on('close', (code, signal) => {
      if (child === proc) child = null;
      if (!stopped) failed(`journalctl exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`);
    });
    st.status = 'ok';
  }

  function failed(message: string): void {
    if (stopped || restartTimer) return;
    st.status = 'error';
    st.lastError = message;
    opts.logger.warn({ source: name }, message);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      carry = '';
      run();
    }, backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }

  function onData(chunk: string): void {
    const text = carry + chunk;
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      // A line longer than any journal entry we accept is dropped as one skipped line, never buffered forever.
      carry = text.length > MAX_LINE_CHARS ? '' : text;
      if (text.length > MAX_LINE_CHARS) count(null, 'line too long');
      return;
    }
    carry = text.slice(last + 1);
    const events: FbEvent[] = [];
    let pos = 0;
    while (pos <= last) {
      const nl = text.indexOf('\n', pos);
      const line = text.slice(pos, nl);
      pos = nl + 1;
      if (line.length > MAX_LINE_CHARS) {
        count(null, 'line too long');
        continue;
      }
      const ev = parser.parse(line);
      count(ev, parser.reason);
      if (ev) {
        st.clamped += parser.clamped;
        for (let k = parser.repeat; k > 0; k--) events.push(k === 1 ? ev : { ...ev });
        if (parser.also) events.push(parser.also);
      }
    }
    cursor = parser.cursor ?? cursor;
    backoff = BACKOFF_MIN_MS;
    offer({ events, position: { source: name, path, inode: null, position: st.lines, carry: cursor ?? '' } });
  }

  function count(ev: FbEvent | null, reason: string): void {
    st.lines++;
    if (ev) st.parsed++;
    else if (reason !== 'line too long' && parser.skip === 'ignored') st.ignored++;
    else {
      st.skipped++;
      st.skipReasons[reason] = (st.skipReasons[reason] ?? 0) + 1;
    }
  }

  /**
   * Hands a batch to the pipeline, one at a time: accept() resolves once the events and the cursor are
   * stored. While one is in flight, later batches merge into `pending` (the later position covers both).
   * When the pipeline refuses (full, or storage failing), reading pauses and the same events are offered
   * again after RETRY_MS: nothing read is dropped, and the saved cursor never runs ahead of stored events.
   */
  function offer(batch: { events: FbEvent[]; position: SourcePosition }): void {
    if (inFlight || retryTimer) {
      pending = pending ? { events: pending.events.concat(batch.events), position: batch.position } : batch;
      return;
    }
    inFlight = true;
    opts.pipeline.accept(batch.events, { position: batch.position, source: `source:${name}` }).then(
      () => {
        inFlight = false;
        st.position = batch.position.position;
        const next = pending;
        pending = null;
        if (next && !stopped) offer(next);
      },
      (err: unknown) => {
        inFlight = false;
        if (!(err instanceof AppError && (err.code === 'rate_limited' || err.code === 'unavailable')))
          opts.logger.warn({ err, source: name }, 'storing journal events failed; retrying');
        pending = pending ? { events: batch.events.concat(pending.events), position: pending.position } : batch;
        child?.stdout?.pause();
        retryTimer = setTimeout(retry, RETRY_MS);
      },
    );
  }

  function retry(): void {
    retryTimer = null;
    const batch = pending;
    pending = null;
    if (!batch || stopped) return;
    offer(batch);
    child?.stdout?.resume();
  }

  return {
    async start() {
      const saved = await getSourcePosition(opts.db, name);
      if (saved && saved.path === path && saved.carry !== '') {
        cursor = saved.carry;
        st.position = saved.position;
      }
      stopped = false;
      run();
    },
    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (retryTimer) clearTimeout(retryTimer);
      restartTimer = retryTimer = null;
      const proc = child;
      child = null;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const closed = new Promise((r) => proc.once('close', r));
        proc.kill('SIGTERM');
        await closed;
      }
    },
    async poll() {
      // Entries arrive as journalctl writes them; nothing to poll.
    },
    status: () => ({ ...st, skipReasons: { ...st.skipReasons } }),
  };
}
