/**
 * Line parsers for followed and replayed log files (docs/design.md "Log formats"):
 * one line in, one normalized event or a reason to skip it out.
 *
 * A line that yields no event is either
 * - `ignored`: well-formed but irrelevant (other programs, pam_unix,
 *   `Connection closed`, blank lines); counted apart, never a problem; or
 * - `unparseable`: broken or not in the format; counted as skipped, with a reason.
 * Never fatal. Parsers are stateful per file (sshd infers the year), so make
 * one per file with `createLineParser`.
 */
import type { FbEvent } from '../../domain/event.ts';
import { SshdParser } from './sshd.ts';
import type { SshdMode } from './sshd-messages.ts';
import { NginxParser } from './nginx.ts';
import { NdjsonParser } from './ndjson.ts';
import { NginxErrorParser } from './nginx-error.ts';
import { JournalJsonParser } from './journal-json.ts';

/** The formats `sources[].format` and `replay --format` accept. */
export const LOG_FORMATS = ['sshd', 'nginx', 'nginx-error', 'ndjson', 'journal-json'] as const;
/** One of LOG_FORMATS. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Why a line produced no event. */
export type SkipKind = 'ignored' | 'unparseable';

/**
 * A line parser. `parse` returns the event of one line (without its line
 * terminator) or null; after null, `skip` and `reason` say why. The fields
 * are overwritten by every call: parsing allocates nothing but the event.
 */
export interface LineParser {
  parse(line: string): FbEvent | null;
  /** `parse(text.slice(start, end))`, without making the slice when the parser can avoid it (replay's hot loop). */
  parseRange(text: string, start: number, end: number): FbEvent | null;
  /** After `parse` returned null: the kind of skip. */
  skip: SkipKind;
  /** After `parse` returned null: a short constant reason, e.g. `invalid address`. */
  reason: string;
  /**
   * After `parse` returned an event: how many occurrences the line stands
   * for (rsyslog's `message repeated N times: [ ... ]` stands for N), else 1.
   */
  repeat: number;
  /**
   * After `parse` returned an event: occurrences the line claimed beyond the cap on `repeat`
   * (sshd's MAX_REPEAT); counted, never fed to the rules.
   */
  clamped: number;
  /** After `parse` returned an event: a second event the same line stands for, else null (rare). */
  also: FbEvent | null;
}

/**
 * Lines longer than this (characters) are skipped as `line too long` before any parsing: no log
 * format here writes them (sshd truncates its messages to about 1 KB, nginx lines stay well below).
 */
export const MAX_LINE_CHARS = 64 * 1024;

/** The per-source options of the formats (config `sources[]`, `replay` flags). */
export interface SourceParserOptions {
  /** IANA zone of timestamps written without an offset (traditional syslog, ISO 8601 without offset); default UTC. */
  timeZone?: string;
  /** sshd: fail2ban's filter mode; default `normal`. */
  mode?: SshdMode;
  /** nginx: the access log's `log_format` string or a preset name; default `combined`. */
  logFormat?: string;
  /** nginx: CIDRs of the proxies whose `X-Forwarded-For` is trusted. */
  trustedProxies?: readonly string[];
}

/** Options of `createLineParser`. */
export interface ParserOptions extends SourceParserOptions {
  /** Year of traditional syslog timestamps (`Mar  2 08:00:00`); default: the current year. */
  year?: number;
  /** Clock used only for the default year. */
  now?: () => Date;
}

/** True when `s` names a supported format. */
export function isLogFormat(s: string): s is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(s);
}

/** A new parser for one file in `format`. */
export function createLineParser(format: LogFormat, opts: ParserOptions = {}): LineParser {
  switch (format) {
    case 'sshd':
      return new SshdParser(opts);
    case 'nginx':
      return new NginxParser(opts);
    case 'nginx-error':
      return new NginxErrorParser(opts);
    case 'ndjson':
      return new NdjsonParser();
    case 'journal-json':
      return new JournalJsonParser(opts);
  }
}
