/**
 * What every line parser shares: the skip bookkeeping of the LineParser
 * contract (`skip`, `reason`, `repeat`) and a `parseRange` that slices the
 * line (a parser that can read in place overrides it).
 */
import type { FbEvent } from '../../domain/event.ts';
import type { LineParser, SkipKind } from './index.ts';

export abstract class BaseLineParser implements LineParser {
  skip: SkipKind = 'ignored';
  reason = '';
  repeat = 1;
  clamped = 0;
  also: FbEvent | null = null;

  abstract parse(line: string): FbEvent | null;

  parseRange(text: string, start: number, end: number): FbEvent | null {
    return this.parse(text.slice(start, end));
  }

  /** Records why the line made no event; returns null for `return this.no(...)`. */
  protected no(kind: SkipKind, reason: string): null {
    this.skip = kind;
    this.reason = reason;
    return null;
  }
}
