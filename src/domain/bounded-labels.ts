/**
 * Bounded label sets for per-type counters and `/metrics`. An event's `type`
 * is chosen by whoever sends it, so counting by the raw value lets one sender
 * grow memory and the metrics page without limit (500k unique types: +350 MB,
 * a 25 MB scrape). Only known values get their own label: the event types
 * some rule matches plus `metrics.event_types`, at most `max` of them; every
 * other value is counted as OTHER_LABEL.
 */
export const OTHER_LABEL = 'other';
export const DEFAULT_MAX_LABELS = 200;

/** Returns the label to count `value` under: itself when known (and within the cap), else `other`. */
export function labelFolder(known: Iterable<string>, max = DEFAULT_MAX_LABELS): (value: string) => string {
  const keep = new Set<string>();
  for (const k of known) {
    if (keep.size >= max) break;
    keep.add(k);
  }
  return (value) => (keep.has(value) ? value : OTHER_LABEL);
}

/**
 * The counts to render: at most `max` labels, the largest first; the rest
 * (and any existing `other`) summed under OTHER_LABEL. A second line of
 * defence for maps filled by code that did not fold.
 */
export function boundedCounts(counts: ReadonlyMap<string, number>, max = DEFAULT_MAX_LABELS): Map<string, number> {
  if (counts.size <= max) return new Map(counts);
  const sorted = [...counts].filter(([k]) => k !== OTHER_LABEL).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out = new Map(sorted.slice(0, max - 1));
  let other = counts.get(OTHER_LABEL) ?? 0;
  for (const [, n] of sorted.slice(max - 1)) other += n;
  out.set(OTHER_LABEL, other);
  return out;
}
