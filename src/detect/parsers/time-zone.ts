/**
 * Local wall-clock times (traditional syslog `Mar  2 08:00:00`, ISO 8601
 * without an offset, journalctl `short-full` in a named zone) → UTC, for a
 * source's configured `time_zone` (an IANA name such as `Europe/Berlin`).
 *
 * The offset of a zone changes at most a few times a year, so it is looked up
 * through Intl once per local hour and cached (bounded): the hot path is one
 * Map lookup. In a DST fall-back hour, where a local time happens twice, the
 * earlier (summer) instant is taken, like most syslog tools; in a spring-forward
 * gap the time is read with the offset before the change.
 */

const HOUR_US = 3_600_000_000;
const CACHE_MAX = 2048;

/** True when `tz` is a time zone Intl knows (config validation). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Converts local times of one zone to UTC microseconds. */
export class ZoneClock {
  readonly utc: boolean;
  private readonly fmt: Intl.DateTimeFormat | null;
  private readonly cache = new Map<number, number>();

  constructor(tz = 'UTC') {
    this.utc = tz === 'UTC' || tz === 'Etc/UTC' || tz === 'GMT';
    this.fmt = this.utc
      ? null
      : new Intl.DateTimeFormat('en-US', {
          timeZone: tz,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
  }

  /** UTC microseconds of `localUs` (a wall-clock time encoded as if it were UTC). */
  toUtc(localUs: number): number {
    if (this.utc) return localUs;
    const hour = Math.floor(localUs / HOUR_US);
    let off = this.cache.get(hour);
    if (off === undefined) {
      // Offset at the instant the local time would be with the offset of the hour before, then settle.
      const guess = this.offsetAt(hour * HOUR_US - HOUR_US);
      off = this.offsetAt(hour * HOUR_US - guess);
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(hour, off);
    }
    return localUs - off;
  }

  /** The zone's offset from UTC (microseconds) at the UTC instant `us`. */
  private offsetAt(us: number): number {
    const ms = Math.floor(us / 1000);
    const parts = this.fmt!.formatToParts(new Date(ms));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return (local - Math.floor(ms / 1000) * 1000) * 1000;
  }
}
