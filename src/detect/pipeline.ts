/**
 * The live detection pipeline: events in, detections out (DESIGN.md core loop).
 *
 *   accept(events) ── RuleEngine.process (synchronous, in arrival order)
 *        │                 └─► detections ──► queue ──► onDetection (opens/appends incidents, in order)
 *        └─► persist buffer ──► one transaction per batch: raw events, per-minute counts,
 *                               and the log sources' positions (so a restart neither
 *                               re-counts nor skips lines)
 *
 * Back-pressure: when the persist buffer or the detection queue is over its
 * limit, accept() refuses the whole batch with `rate_limited` (429 +
 * Retry-After) before touching anything: never accept and then drop.
 * At start, rebuild() replays the stored events of the longest window (+
 * cooldown) through the engine with detections suppressed, so windows and
 * cooldowns continue where they were.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Detection, DetectionJob, FbEvent } from '../domain/event.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import { insertEvents, addMinuteCounts, loadEventsSince, deleteEventsBefore } from '../store/event-repo.ts';
import { saveSourcePosition, type SourcePosition } from '../store/source-position-repo.ts';

export interface PipelineStats {
  accepted: number;
  rejected: number;
  detections: number;
  byType: Map<string, number>;
  rejectedByType: Map<string, number>;
  detectionsByRule: Map<string, number>;
  persisted: number;
  persistErrors: number;
  lastPersistError: string | null;
  pendingPersist: number;
  pendingDetections: number;
  rebuiltEvents: number;
}

export interface Pipeline {
  readonly rules: readonly RuleSpec[];
  /** Runs events through the rules; throws rate_limited (nothing accepted) when over capacity. */
  accept(events: readonly FbEvent[], source?: { position: SourcePosition }): Detection[];
  /** Counts events refused by validation, for metrics. */
  countRejected(type: string, n?: number): void;
  rebuild(now: Date): Promise<number>;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  /** Resolves when every queued detection has been handled. */
  drain(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  stats(): PipelineStats;
  engineStats(): ReturnType<RuleEngine['stats']>;
}

export interface PipelineOptions {
  db: Db;
  logger: Logger;
  rules: readonly RuleSpec[];
  clock: () => Date;
  /**
   * Handles detections in batches (up to DETECTION_BATCH, in firing order).
   * Resolves when every detection of the batch is handled (incident and local
   * actions written). If it throws, the whole batch is retried later, so the
   * handler must be idempotent (openIncident dedups, action ids are stable).
   */
  onDetections(batch: readonly DetectionJob[]): Promise<void>;
  /** Which raw events to store: those some rule looks at (default), all, or none. */
  store?: 'matched' | 'all' | 'none';
  queueLimit?: number;
  retentionMs?: number;
  flushIntervalMs?: number;
  batchSize?: number;
}

const MINUTE_US = 60_000_000;
/** Detections handed to `onDetections` at once at most. */
export const DETECTION_BATCH = 2000;

export function createPipeline(opts: PipelineOptions): Pipeline {
  const engine = new RuleEngine(opts.rules);
  const ruleByName = new Map(opts.rules.map((r) => [r.name, r]));
  const matchedTypes = new Set(opts.rules.flatMap((r) => r.match.map((m) => m.type)));
  const storePolicy = opts.store ?? 'matched';
  const queueLimit = opts.queueLimit ?? 1_000_000;
  const batchSize = opts.batchSize ?? 5000;
  const flushMs = opts.flushIntervalMs ?? 200;

  let buffer: FbEvent[] = [];
  let positions = new Map<string, SourcePosition>();
  // minute bucket (ms) → type → [events, rejected, detections]
  let minutes = new Map<number, Map<string, [number, number, number]>>();
  const detQueue: DetectionJob[] = [];
  let detRunning: Promise<void> | null = null;
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastRetention = 0;
  const st: PipelineStats = {
    accepted: 0,
    rejected: 0,
    detections: 0,
    byType: new Map(),
    rejectedByType: new Map(),
    detectionsByRule: new Map(),
    persisted: 0,
    persistErrors: 0,
    lastPersistError: null,
    pendingPersist: 0,
    pendingDetections: 0,
    rebuiltEvents: 0,
  };

  const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
  function countMinute(tsUs: number, type: string, col: 0 | 1 | 2, n = 1): void {
    const minute = Math.floor(tsUs / MINUTE_US) * 60_000;
    let m = minutes.get(minute);
    if (!m) minutes.set(minute, (m = new Map()));
    let c = m.get(type);
    if (!c) m.set(type, (c = [0, 0, 0]));
    c[col] += n;
  }

  function runDetections(): void {
    if (detRunning) return;
    detRunning = (async () => {
      let failures = 0;
      while (detQueue.length > 0) {
        const batch = detQueue.slice(0, DETECTION_BATCH);
        try {
          await opts.onDetections(batch);
          detQueue.splice(0, batch.length);
          failures = 0;
        } catch (err) {
          // The whole batch is retried (the handler is idempotent), after a pause that grows to 5 s.
          failures++;
          opts.logger.error({ err, detections: batch.length }, 'handling detections failed; will retry');
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)));
        }
      }
    })().finally(() => {
      detRunning = null;
      if (detQueue.length > 0) runDetections();
    });
  }

  async function flushOnce(): Promise<void> {
    if (buffer.length === 0 && positions.size === 0 && minutes.size === 0) return;
    const batch = buffer.length > batchSize ? buffer.splice(0, batchSize) : buffer.splice(0);
    // Positions are only saved with the last part of the buffer: a position covers every event before it.
    const pos = buffer.length === 0 ? positions : new Map<string, SourcePosition>();
    if (buffer.length === 0) positions = new Map();
    const mins = minutes;
    minutes = new Map();
    const now = opts.clock();
    try {
      await opts.db.tx(async (q) => {
        await insertEvents(q, batch);
        const rows: Parameters<typeof addMinuteCounts>[1] = [];
        for (const [minute, byType] of mins)
          for (const [type, c] of byType) rows.push({ minute: new Date(minute), type, events: c[0], rejected: c[1], detections: c[2] });
        await addMinuteCounts(q, rows);
        for (const p of pos.values()) await saveSourcePosition(q, p, now);
      });
      st.persisted += batch.length;
    } catch (err) {
      // Put everything back in front; the next flush retries. Nothing is dropped.
      buffer = batch.concat(buffer);
      for (const [k, p] of pos) if (!positions.has(k)) positions.set(k, p);
      for (const [minute, byType] of mins)
        for (const [type, c] of byType) for (const col of [0, 1, 2] as const) if (c[col]) countMinuteAt(minute, type, col, c[col]);
      st.persistErrors++;
      st.lastPersistError = (err as Error).message;
      opts.logger.warn({ err }, 'storing events failed; will retry');
      throw err;
    }
    if (opts.retentionMs && now.getTime() - lastRetention > 60_000) {
      lastRetention = now.getTime();
      deleteEventsBefore(opts.db, new Date(now.getTime() - opts.retentionMs)).catch((err: unknown) =>
        opts.logger.warn({ err }, 'event retention failed'),
      );
    }
  }
  function countMinuteAt(minute: number, type: string, col: 0 | 1 | 2, n: number): void {
    countMinute(minute * 1000, type, col, n);
  }

  async function flush(): Promise<void> {
    while (flushing) await flushing.catch(() => {});
    flushing = (async () => {
      do await flushOnce();
      while (buffer.length >= batchSize);
    })();
    try {
      await flushing;
    } finally {
      flushing = null;
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      flush()
        .catch(() => {})
        .finally(() => {
          if (timer) schedule();
        });
    }, flushMs);
  }

  return {
    rules: opts.rules,
    accept(events, source) {
      if (buffer.length + events.length > queueLimit || detQueue.length > 10_000) {
        throw new AppError('rate_limited', `Firebreak is catching up (${buffer.length} events waiting to be stored); retry shortly`, {
          retryAfter: 1,
        });
      }
      const out: Detection[] = [];
      for (const ev of events) {
        st.accepted++;
        bump(st.byType, ev.type);
        countMinute(ev.tsUs, ev.type, 0);
        if (storePolicy === 'all' || (storePolicy === 'matched' && matchedTypes.has(ev.type))) buffer.push(ev);
        const ds = engine.process(ev);
        for (const d of ds) {
          const rule = ruleByName.get(d.rule)!;
          st.detections++;
          bump(st.detectionsByRule, d.rule);
          countMinute(ev.tsUs, `detection:${d.rule}`, 2);
          out.push(d);
          detQueue.push({ d, rule });
        }
      }
      if (source) positions.set(source.position.source, source.position);
      if (out.length) runDetections();
      if (buffer.length >= batchSize && !flushing) flush().catch(() => {});
      return out;
    },
    countRejected(type, n = 1) {
      st.rejected += n;
      bump(st.rejectedByType, type, n);
      countMinute(Date.now() * 1000, type, 1, n);
    },
    async rebuild(now) {
      const horizonUs = Math.max(0, ...opts.rules.map((r) => r.windowUs + r.cooldownUs));
      const sinceUs = now.getTime() * 1000 - horizonUs - 3_600_000_000; // + 1 h of slack for late log lines
      let n = 0;
      let cursor = sinceUs;
      for (;;) {
        const evs = await loadEventsSince(opts.db, cursor, 50_000);
        for (const ev of evs) engine.process(ev); // detections already handled before the restart
        n += evs.length;
        if (evs.length < 50_000) break;
        cursor = evs[evs.length - 1]!.tsUs;
        if (n > 5_000_000) break;
      }
      st.rebuiltEvents = n;
      return n;
    },
    flush,
    async drain() {
      while (detRunning || detQueue.length) await (detRunning ?? Promise.resolve());
    },
    start() {
      if (!timer) schedule();
    },
    async stop() {
      const t = timer;
      timer = null;
      if (t) clearTimeout(t);
      await this.drain();
      await flush().catch(() => {});
    },
    stats() {
      return { ...st, pendingPersist: buffer.length, pendingDetections: detQueue.length };
    },
    engineStats: () => engine.stats(),
  };
}
