/**
 * `journalctl --output=json` lines (one JSON object per entry), for the
 * journald source and `replay --format journal-json`. Entries of sshd
 * (`SYSLOG_IDENTIFIER` or `_COMM` `sshd` / `sshd-session`) go to the sshd
 * parser with the journal's own time (`__REALTIME_TIMESTAMP`, microseconds,
 * UTC) and process (`_PID`, `_HOSTNAME`); other entries are `ignored`.
 * `cursor` is the `__CURSOR` of the last line that had one, whatever the
 * outcome: the journald source saves it to resume after a restart.
 *
 * A MESSAGE journald stores as bytes (not valid UTF-8) arrives as an array of
 * numbers: it is decoded as UTF-8 with replacement characters (at most
 * 64 KiB), like a log file with invalid bytes.
 */
import type { FbEvent } from '../../domain/event.ts';
import { BaseLineParser } from './base-parser.ts';
import { SshdParser, procKey } from './sshd.ts';
import type { ParserOptions } from './index.ts';

const MAX_BYTES = 64 * 1024;

/** Parser for saved or followed `journalctl -o json` output. */
export class JournalJsonParser extends BaseLineParser {
  cursor: string | null = null;
  private readonly sshd: SshdParser;

  constructor(opts: ParserOptions = {}) {
    super();
    this.sshd = new SshdParser(opts);
  }

  parse(line: string): FbEvent | null {
    this.repeat = 1;
    this.clamped = 0;
    this.also = null;
    if (line.trim() === '') return this.no('ignored', 'blank line');
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return this.no('unparseable', 'invalid JSON');
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return this.no('unparseable', 'not a journal entry');
    const e = o as Record<string, unknown>;
    if (typeof e.__CURSOR === 'string') this.cursor = e.__CURSOR;
    const id = typeof e.SYSLOG_IDENTIFIER === 'string' ? e.SYSLOG_IDENTIFIER : e._COMM;
    if (id !== 'sshd' && id !== 'sshd-session') return this.no('ignored', 'other program');
    const ts =
      typeof e.__REALTIME_TIMESTAMP === 'string' && /^\d{1,17}$/.test(e.__REALTIME_TIMESTAMP) ? Number(e.__REALTIME_TIMESTAMP) : NaN;
    if (!Number.isFinite(ts)) return this.no('unparseable', 'invalid timestamp');
    const msg = message(e.MESSAGE);
    if (msg === null) return this.no('unparseable', 'no message');
    const pid = typeof e._PID === 'string' && /^\d{1,10}$/.test(e._PID) ? Number(e._PID) : 0;
    const host = typeof e._HOSTNAME === 'string' ? hash(e._HOSTNAME) : 0;
    const sshd = this.sshd;
    const ev = sshd.message(msg, 0, msg.length, ts, procKey(pid, host));
    if (ev === null) return this.no(sshd.skip, sshd.reason);
    this.also = sshd.also;
    return ev;
  }
}

function message(m: unknown): string | null {
  if (typeof m === 'string') return m;
  if (!Array.isArray(m) || m.length > MAX_BYTES) return null;
  const bytes = Uint8Array.from(m.map((b) => (typeof b === 'number' && b >= 0 && b <= 255 ? b : 0x3f)));
  return Buffer.from(bytes).toString('utf8');
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h & 0xfffff;
}
