/**
 * What the accepting instance writes to PostgreSQL in cluster mode: raw events
 * (evidence, rule values read by runbook checks; under `events.store`), the
 * per-minute counts of the dashboard charts, and followed files' positions.
 * Detection itself no longer depends on these rows (the streams are the
 * record the windows are rebuilt from), so they are written in the background
 * in batches and retried on failure, as the single-process pipeline does.
 */
import type { Logger } from 'pino';
import type { FbEvent } from '../domain/event.ts';
import type { Db } from '../store/db.ts';
import { addMinuteCounts, deleteEventsBefore, encodeEvents, insertEventBatch } from '../store/event-repo.ts';
import { saveSourcePosition, type SourcePosition } from '../store/source-position-repo.ts';

const MINUTE_US = 60_000_000;
type Row = Parameters<typeof addMinuteCounts>[1][number];

export class EventRecorder {
  private events: FbEvent[] = [];
  private minutes = new Map<string, Row>();
  private positions = new Map<string, SourcePosition>();
  private flushing: Promise<void> | null = null;
  private lastRetention = 0;
  persisted = 0;
  errors = 0;
  lastError: string | null = null;

  constructor(
    private readonly o: { db: Db; logger: Logger; clock: () => Date; retentionMs?: number; batchSize?: number; queueLimit: number },
  ) {}

  get pending(): number {
    return this.events.length;
  }

  /** Whether `n` more events fit in the buffer (the caller refuses the batch otherwise). */
  fits(n: number): boolean {
    return this.events.length + n <= this.o.queueLimit;
  }

  store(evs: readonly FbEvent[]): void {
    for (const e of evs) this.events.push(e);
  }

  count(tsUs: number, type: string, col: 'events' | 'rejected' | 'detections', n = 1): void {
    const minute = Math.floor(tsUs / MINUTE_US) * 60_000;
    const k = `${minute}\u0000${type}`;
    let r = this.minutes.get(k);
    if (!r) this.minutes.set(k, (r = { minute: new Date(minute), type, events: 0, rejected: 0, detections: 0 }));
    r[col] += n;
  }

  position(p: SourcePosition): void {
    this.positions.set(p.source, p);
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
    this.flushing = this.flushOnce();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private async flushOnce(): Promise<void> {
    const size = this.o.batchSize ?? 5000;
    do {
      if (this.events.length === 0 && this.minutes.size === 0 && this.positions.size === 0) return;
      const batch = this.events.splice(0, size);
      const mins = this.minutes;
      const pos = this.positions;
      this.minutes = new Map();
      this.positions = new Map();
      const now = this.o.clock();
      try {
        await this.o.db.tx(async (q) => {
          if (batch.length) {
            let lo = Infinity;
            let hi = -Infinity;
            for (const e of batch) {
              if (e.tsUs < lo) lo = e.tsUs;
              if (e.tsUs > hi) hi = e.tsUs;
            }
            const types = [...new Set(batch.map((e) => e.type))];
            await insertEventBatch(q, { tsMinUs: lo, tsMaxUs: hi, n: batch.length, types, parts: [encodeEvents(batch)] });
          }
          await addMinuteCounts(q, [...mins.values()]);
          for (const p of pos.values()) await saveSourcePosition(q, p, now);
        });
        this.persisted += batch.length;
      } catch (err) {
        // Back in front, merged with what arrived meanwhile: the next flush retries; nothing is dropped.
        this.events = batch.concat(this.events);
        for (const r of mins.values()) {
          this.count(r.minute.getTime() * 1000, r.type, 'events', r.events);
          this.count(r.minute.getTime() * 1000, r.type, 'rejected', r.rejected);
          this.count(r.minute.getTime() * 1000, r.type, 'detections', r.detections);
        }
        for (const [k, p] of pos) if (!this.positions.has(k)) this.positions.set(k, p);
        this.errors++;
        this.lastError = (err as Error).message;
        this.o.logger.warn({ err }, 'storing events failed; will retry');
        return;
      }
      if (this.o.retentionMs && now.getTime() - this.lastRetention > 60_000) {
        this.lastRetention = now.getTime();
        deleteEventsBefore(this.o.db, new Date(now.getTime() - this.o.retentionMs)).catch((err: unknown) =>
          this.o.logger.warn({ err }, 'event retention failed'),
        );
      }
    } while (this.events.length >= size);
  }
}
