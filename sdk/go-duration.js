// Go's time.Duration text (what CrowdSec-compatible APIs put in `duration`):
// "59m58.123s", "1h0m0s", "300ms", "-2.5s", "0s". Units ns, us (µs, μs), ms, s, m, h.

const UNIT_MS = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration string into milliseconds (may be negative: an expired
 * decision). Returns null when the text is not a Go duration.
 * @param {string} text
 * @returns {number | null}
 */
export function parseGoDuration(text) {
  if (typeof text !== 'string') return null;
  let s = text.trim();
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed = PART.lastIndex;
  }
  if (consumed !== s.length) return null;
  return sign * total;
}
