/** Per-minute counts by type (events, rejected, detections) waiting to be added to `event_minutes`. */
const MINUTE_US = 60_000_000;

export interface MinuteRow {
  minute: Date;
  type: string;
  events: number;
  rejected: number;
  detections: number;
}

export interface MinuteCounts {
  add(tsUs: number, type: string, col: 0 | 1 | 2, n?: number): void;
  /** Takes every pending count (the caller writes them, or gives them back with restore). */
  take(): MinuteRow[];
  restore(rows: readonly MinuteRow[]): void;
  size(): number;
}

export function createMinuteCounts(): MinuteCounts {
  // minute bucket (ms) → type → [events, rejected, detections]
  let minutes = new Map<number, Map<string, [number, number, number]>>();
  function add(tsUs: number, type: string, col: 0 | 1 | 2, n = 1): void {
    const minute = Math.floor(tsUs / MINUTE_US) * 60_000;
    let m = minutes.get(minute);
    if (!m) minutes.set(minute, (m = new Map()));
    let c = m.get(type);
    if (!c) m.set(type, (c = [0, 0, 0]));
    c[col] += n;
  }
  return {
    add,
    take() {
      const rows: MinuteRow[] = [];
      for (const [minute, byType] of minutes)
        for (const [type, c] of byType) rows.push({ minute: new Date(minute), type, events: c[0], rejected: c[1], detections: c[2] });
      minutes = new Map();
      return rows;
    },
    restore(rows) {
      for (const r of rows) {
        const us = r.minute.getTime() * 1000;
        if (r.events) add(us, r.type, 0, r.events);
        if (r.rejected) add(us, r.type, 1, r.rejected);
        if (r.detections) add(us, r.type, 2, r.detections);
      }
    },
    size: () => minutes.size,
  };
}
