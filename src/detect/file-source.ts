/**
 * Follows a log file like `tail -F`: survives rotation (the path points at a
 * new inode: the old file is read to its end first, then the new one from
 * its start) and truncation (size below our position: start over), waits for
 * a file that does not exist yet, and remembers its position durably. The
 * position is saved in the same transaction as the events it covers (see
 * pipeline.ts), so a restart neither re-counts nor skips lines.
 *
 * Polling (default every 250 ms) rather than fs.watch: it behaves the same on
 * every file system and costs one stat per interval.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { getSourcePosition, type SourcePosition } from '../store/source-position-repo.ts';
import { createLineParser, MAX_LINE_CHARS, type LineParser, type LogFormat, type SourceParserOptions } from './parsers/index.ts';
import type { FbEvent } from '../domain/event.ts';
import type { Pipeline } from './pipeline.ts';
import { AppError } from '../errors.ts';

export interface FileSourceConfig extends SourceParserOptions {
  name?: string;
  path: string;
  format: LogFormat;
  year?: number;
}

export interface FileSourceStatus {
  name: string;
  path: string;
  format: LogFormat;
  status: 'ok' | 'waiting' | 'error';
  position: number;
  lines: number;
  parsed: number;
  ignored: number;
  skipped: number;
  skipReasons: Record<string, number>;
  /** Occurrences claimed by repeat counts beyond the cap, not turned into events. */
  clamped: number;
  rotations: number;
  truncations: number;
  lastError: string | null;
}

/** A source's status before it has read anything (file and journald sources alike). */
export function newSourceStatus(name: string, path: string, format: LogFormat): FileSourceStatus {
  return {
    name,
    path,
    format,
    status: 'waiting',
    position: 0,
    lines: 0,
    parsed: 0,
    ignored: 0,
    skipped: 0,
    skipReasons: {},
    clamped: 0,
    rotations: 0,
    truncations: 0,
    lastError: null,
  };
}

export interface FileSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reads whatever is new now (tests; the poll loop calls it too). */
  poll(): Promise<void>;
  status(): FileSourceStatus;
}

const MAX_READ = 4 * 1024 * 1024;

export function createFileSource(opts: {
  cfg: FileSourceConfig;
  db: Db;
  pipeline: Pipeline;
  logger: Logger;
  intervalMs?: number;
  clock?: () => Date;
}): FileSource {
  const name = opts.cfg.name ?? `file:${opts.cfg.path}`;
  const c = opts.cfg;
  const parser: LineParser = createLineParser(c.format, {
    year: c.year,
    timeZone: c.timeZone,
    mode: c.mode,
    logFormat: c.logFormat,
    trustedProxies: c.trustedProxies,
  });
  let fh: FileHandle | null = null;
  let inode: string | null = null;
  let position = 0;
  let carry = '';
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  const st = newSourceStatus(name, opts.cfg.path, opts.cfg.format);

  async function openCurrent(): Promise<boolean> {
    try {
      const s = await stat(opts.cfg.path);
      fh = await open(opts.cfg.path, 'r');
      const ino = String(s.ino);
      if (inode !== null && ino !== inode) {
        position = 0;
        carry = '';
      }
      inode = ino;
      st.status = 'ok';
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        st.status = 'waiting';
        return false;
      }
      throw err;
    }
  }

  /** Reads from the open handle to its current end, feeding whole lines to the pipeline. */
  async function drainHandle(): Promise<void> {
    if (!fh) return;
    const buf = Buffer.allocUnsafe(MAX_READ);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) return;
      const nl = buf.lastIndexOf(10, bytesRead - 1);
      if (nl < 0 && bytesRead < buf.length) {
        // No complete line yet: keep it for later (the position stays before it).
        return;
      }
      const end = nl < 0 ? bytesRead : nl + 1;
      const text = carry + buf.toString('utf8', 0, end);
      carry = '';
      const events: FbEvent[] = [];
      let pos = 0;
      while (pos < text.length) {
        let e = text.indexOf('\n', pos);
        if (e < 0) e = text.length;
        let lineEnd = e;
        while (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--; // CR LF, CR CR LF
        st.lines++;
        const tooLong = lineEnd - pos > MAX_LINE_CHARS;
        const ev = tooLong ? null : parser.parseRange(text, pos, lineEnd);
        if (ev) {
          st.parsed++;
          st.clamped += parser.clamped;
          for (let k = parser.repeat; k > 0; k--) events.push(k === 1 ? ev : { ...ev });
          if (parser.also) events.push(parser.also);
        } else if (!tooLong && parser.skip === 'ignored') st.ignored++;
        else {
          const reason = tooLong ? 'line too long' : parser.reason;
          st.skipped++;
          st.skipReasons[reason] = (st.skipReasons[reason] ?? 0) + 1;
        }
        pos = e + 1;
      }
      const next = position + end;
      const sp: SourcePosition = { source: name, path: opts.cfg.path, inode, position: next, carry: '' };
      // accept() resolves once the events and the position are stored; it throws when the pipeline is
      // full or storage fails: the position stays, and the lines are read again next poll.
      await opts.pipeline.accept(events, { position: sp, source: `source:${name}` });
      position = next;
      st.position = position;
      if (bytesRead < buf.length) return;
    }
  }

  async function pollOnce(): Promise<void> {
    try {
      if (!fh && !(await openCurrent())) return;
      let s;
      try {
        s = await stat(opts.cfg.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        s = null; // rotated away and not recreated yet: finish the open one
      }
      if (s && String(s.ino) !== inode) {
        await drainHandle(); // the rest of the rotated file first
        await fh!.close();
        fh = null;
        st.rotations++;
        opts.logger.info({ source: name }, 'log file rotated; following the new one');
        if (!(await openCurrent())) return;
      } else if (s && s.size < position) {
        st.truncations++;
        opts.logger.info({ source: name }, 'log file truncated; reading from the start');
        position = 0;
        carry = '';
      }
      await drainHandle();
      st.lastError = null;
      if (st.status !== 'waiting') st.status = 'ok';
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') return; // back-pressure: try again next poll
      st.status = 'error';
      st.lastError = (err as Error).message;
      opts.logger.warn({ err, source: name }, 'reading the log file failed');
    }
  }

  const poll = async () => {
    if (polling) return polling;
    polling = pollOnce().finally(() => (polling = null));
    return polling;
  };

  return {
    async start() {
      const saved = await getSourcePosition(opts.db, name);
      if (saved && saved.path === opts.cfg.path) {
        inode = saved.inode;
        position = saved.position;
        carry = saved.carry;
      } else {
        // First time: like fail2ban, start at the end of an existing file (old lines are history, use `replay` for them).
        try {
          const s = await stat(opts.cfg.path);
          inode = String(s.ino);
          position = s.size;
        } catch {
          position = 0;
        }
      }
      await openCurrent().catch(() => false);
      if (fh) {
        const s = await fh.stat();
        if (String(s.ino) !== inode) {
          position = 0;
          inode = String(s.ino);
        } else if (s.size < position) position = 0;
      }
      st.position = position;
      const loop = () => {
        timer = setTimeout(() => void poll().finally(() => timer && loop()), opts.intervalMs ?? 250);
      };
      loop();
    },
    async stop() {
      const t = timer;
      timer = null;
      if (t) clearTimeout(t);
      if (polling) await polling;
      if (fh) await fh.close();
      fh = null;
    },
    poll,
    status: () => ({ ...st, skipReasons: { ...st.skipReasons } }),
  };
}
