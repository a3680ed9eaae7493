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
import { NginxParser } from './nginx.ts';
import { NdjsonParser } from './ndjson.ts';

/** The formats `sources[].format` and `replay --format` accept. */
export const LOG_FORMATS = ['sshd', 'nginx', 'ndjson'] as const;
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
}

/** Options of `createLineParser`. */
export interface ParserOptions {
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
      return new NginxParser();
    case 'ndjson':
      return new NdjsonParser();
  }
}
