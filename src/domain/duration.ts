/**
 * Durations as written in configuration and flags: `500ms`, `30s`, `10m`,
 * `1h`, `7d`, `1w`, or combinations like `1h30m`. Returns milliseconds, or
 * null when the text is not a duration.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || consumed === 0) return null;
  return Math.round(total);
}

/** Formats milliseconds the way users write them: 3600000 → `1h`, 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** Go duration string as CrowdSec uses it (`3599.123s` style is accepted by bouncers; we emit `1h2m3s`). */
export function formatGoDuration(ms: number): string {
  const neg = ms < 0;
  let rest = Math.abs(Math.round(ms));
  const h = Math.floor(rest / 3_600_000);
  rest %= 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest %= 60_000;
  const s = rest / 1000;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${Number.isInteger(s) ? s : s.toFixed(3)}s`;
  return (neg ? '-' : '') + out;
}
