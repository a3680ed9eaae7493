/**
 * Timestamp scanning for the log parsers and event validation
 * (event-object.ts), hand-rolled over char codes (no regex, no Date objects
 * on the hot path), and RFC 3339 formatting of microsecond timestamps. All
 * results are integer microseconds since the Unix epoch, UTC.
 */

/** Where a scan ended and what it read. One instance per parser: scans allocate nothing. */
export class TimeScan {
  /** Microseconds since the epoch. */
  us = 0;
  /** Index just after the timestamp. */
  end = 0;
  /** After scanRfc3339: whether the text carried an offset (`Z`, `+01:00`); without one the time was read as UTC. */
  zoned = false;
}

const MONTHS = new Map<number, number>(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [monthCode(m, 0), i + 1]),
);

function monthCode(s: string, i: number): number {
  return (s.charCodeAt(i) << 16) | (s.charCodeAt(i + 1) << 8) | s.charCodeAt(i + 2);
}

/** Month number 1..12 of an English three-letter month name at `i`, or 0. */
export function monthAt(s: string, i: number): number {
  return MONTHS.get(monthCode(s, i)) ?? 0;
}

/** Reads `n` decimal digits at `i`, or -1. */
export function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a valid civil date (Howard Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Microseconds of a UTC civil time, or NaN when a field is out of range
 * (February 30th, hour 24, ...). A leap second (:60) is accepted and lands
 * on the next minute's :00.
 */
export function civilToUs(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: number): number {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return NaN;
  const dim = mo === 2 && isLeap(y) ? 29 : MONTH_DAYS[mo]!;
  if (d > dim) return NaN;
  return (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1_000_000 + frac;
}

/** Scans an optional `.digits` fraction at `i` into microseconds (extra digits truncated); sets `scan.end`. */
function scanFraction(s: string, i: number, scan: TimeScan): number {
  scan.end = i;
  if (s.charCodeAt(i) !== 46) return 0;
  let j = i + 1;
  let us = 0;
  let scale = 100_000;
  for (;;) {
    const c = s.charCodeAt(j) - 48;
    if (!(c >= 0 && c <= 9)) break;
    if (scale >= 1) us += c * scale;
    scale /= 10;
    j++;
  }
  if (j === i + 1) return -1;
  scan.end = j;
  return us;
}

/** `HH:MM:SS` at `i` → seconds of the day, or -1 when malformed. */
function scanClock(s: string, i: number): number {
  const h = digitsAt(s, i, 2);
  const mi = digitsAt(s, i + 3, 2);
  const sec = digitsAt(s, i + 6, 2);
  if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return -1;
  if (h > 23 || mi > 59 || sec > 60) return -1;
  return h * 3600 + mi * 60 + sec;
}

/**
 * RFC 3339 date-time at `i`: `2026-03-02T08:00:00.218229+00:00` (also `Z`,
 * `+0000`, a space or `t` as separator). Returns false when malformed; else
 * sets `scan.us` (UTC) and `scan.end`. With `requireZone` false a missing
 * offset means UTC.
 */
export function scanRfc3339(s: string, i: number, scan: TimeScan, requireZone = true): boolean {
  const y = digitsAt(s, i, 4);
  const mo = digitsAt(s, i + 5, 2);
  const d = digitsAt(s, i + 8, 2);
  if (y < 0 || mo < 0 || d < 0 || s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 7) !== 45) return false;
  const sep = s.charCodeAt(i + 10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return false;
  const clock = scanClock(s, i + 11);
  if (clock < 0) return false;
  const frac = scanFraction(s, i + 19, scan);
  if (frac < 0) return false;
  let j = scan.end;
  let offsetMin = 0;
  const z = s.charCodeAt(j);
  scan.zoned = true;
  if (z === 90 || z === 122) j++;
  else if (z === 43 || z === 45) {
    const oh = digitsAt(s, j + 1, 2);
    const colon = s.charCodeAt(j + 3) === 58;
    const om = digitsAt(s, j + (colon ? 4 : 3), 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
    offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    j += colon ? 6 : 5;
  } else if (requireZone) return false;
  else scan.zoned = false;
  const base = civilToUs(y, mo, d, 0, 0, 0, 0);
  if (base !== base) return false;
  scan.us = base + (clock - offsetMin * 60) * 1_000_000 + frac;
  scan.end = j;
  return true;
}

/**
 * Traditional syslog time at `i`: `Mar  2 08:00:00` (day space-padded or
 * not, optional `.fraction`), in UTC, in the given year. Returns false when
 * malformed (including a day that does not exist in that year).
 */
export function scanSyslogTime(s: string, i: number, year: number, scan: TimeScan): boolean {
  const mo = monthAt(s, i);
  if (mo === 0 || s.charCodeAt(i + 3) !== 32) return false;
  let j = i + 4;
  if (s.charCodeAt(j) === 32) j++;
  let d = digitsAt(s, j, 2);
  if (d >= 0) j += 2;
  else if ((d = digitsAt(s, j, 1)) >= 0) j += 1;
  else return false;
  if (s.charCodeAt(j) !== 32) return false;
  const clock = scanClock(s, j + 1);
  if (clock < 0) return false;
  const frac = scanFraction(s, j + 9, scan);
  if (frac < 0) return false;
  const base = civilToUs(year, mo, d, 0, 0, 0, 0);
  if (base !== base) return false;
  scan.us = base + clock * 1_000_000 + frac;
  return true;
}

/**
 * Common Log Format time at `i` (after the `[`): `10/Oct/2026:13:55:36 +0200`.
 * Returns false when malformed; else sets `scan.us` (UTC) and `scan.end`.
 */
export function scanClfTime(s: string, i: number, scan: TimeScan): boolean {
  const d = digitsAt(s, i, 2);
  const mo = monthAt(s, i + 3);
  const y = digitsAt(s, i + 7, 4);
  if (d < 0 || mo === 0 || y < 0 || s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47 || s.charCodeAt(i + 11) !== 58) return false;
  const clock = scanClock(s, i + 12);
  if (clock < 0) return false;
  const frac = scanFraction(s, i + 20, scan);
  if (frac < 0) return false;
  let j = scan.end;
  if (s.charCodeAt(j) !== 32) return false;
  const sign = s.charCodeAt(j + 1);
  const oh = digitsAt(s, j + 2, 2);
  const om = digitsAt(s, j + 4, 2);
  if ((sign !== 43 && sign !== 45) || oh < 0 || om < 0 || om > 59) return false;
  const offsetMin = (sign === 45 ? -1 : 1) * (oh * 60 + om);
  j += 6;
  const base = civilToUs(y, mo, d, 0, 0, 0, 0);
  if (base !== base) return false;
  scan.us = base + (clock - offsetMin * 60) * 1_000_000 + frac;
  scan.end = j;
  return true;
}

/** `us` microseconds plus `months` calendar months (negative: earlier), UTC. */
export function addMonthsUs(us: number, months: number): number {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime() * 1000 + (us - ms * 1000);
}

/**
 * RFC 3339 UTC text of a microsecond timestamp: whole seconds as
 * `2026-03-02T08:00:04Z`, else the fraction with trailing zeros trimmed
 * (`...:04.2182Z`, at most six digits).
 */
export function formatTsUs(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  const frac = us - sec * 1_000_000;
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  if (frac === 0) return `${base}Z`;
  return `${base}.${String(frac).padStart(6, '0').replace(/0+$/, '')}Z`;
}

/**
 * `text.startsWith(lit, i)`, first comparing one character inline: String.prototype.startsWith is a
 * builtin call (tens of ns) that the hot parsers would otherwise make many times per line.
 */
export function at(text: string, lit: string, i: number): boolean {
  return text.charCodeAt(i) === lit.charCodeAt(0) && text.startsWith(lit, i);
}

/** `text.endsWith(lit, e)`, first comparing the last character inline (see `at`). */
export function endsAt(text: string, lit: string, e: number): boolean {
  return text.charCodeAt(e - 1) === lit.charCodeAt(lit.length - 1) && text.endsWith(lit, e);
}

/**
 * `text.indexOf(lit, p)` when that match starts before `end`, else -1. The sshd parser reads each line in
 * place in the multi-megabyte read chunk (no substring per line), so a search must stop at the line's end:
 * a builtin indexOf would run on into the following lines when the line lacks the word, and a hostile
 * file could make every line cost the rest of the chunk.
 */
export function indexIn(text: string, lit: string, p: number, end: number): number {
  const c0 = lit.charCodeAt(0);
  for (let i = p < 0 ? 0 : p; i < end; i++) if (text.charCodeAt(i) === c0 && at(text, lit, i)) return i;
  return -1;
}

/** `text.lastIndexOf(lit, from)` when that match starts at or after `lo` (>= 0), else -1; bounded like indexIn. */
export function lastIndexIn(text: string, lit: string, from: number, lo: number): number {
  const c0 = lit.charCodeAt(0);
  let i = from < 0 ? 0 : from;
  if (i > text.length - lit.length) i = text.length - lit.length;
  for (; i >= lo; i--) if (text.charCodeAt(i) === c0 && at(text, lit, i)) return i;
  return -1;
}
