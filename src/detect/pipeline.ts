/**
 * The live detection pipeline: events in, detections out (docs/design.md "Core loop").
 *
 *   accept(events) ──► encode (dead letters set aside) ──► group commit (ingest/event-writer.ts):
 *        one transaction per batch of requests: one event_batches row, source positions,
 *        per-minute counts ──► committed ──► RuleEngine.process (in commit order)
 *        ──► resolve: the caller answers 202 ──► detections recorded, then handled in
 *        batches by onDetections (ingest/detection-queue.ts)
 *
 * Accepted means stored: accept() resolves only once the events it must store
 * (the `events.store` policy) are committed. It refuses before touching
 * anything when over capacity (`rate_limited`, 429) or while storage is
 * failing (`unavailable`, 503, one probe request a second goes through to
 * notice recovery); when the caller's `waitMs` passes first it throws
 * `unavailable` and the events, should they be stored later, are not run
 * through the rules (the client was told to send them again).
 * At start, rebuild() replays the stored events through the engine so windows
 * and cooldowns continue, and re-raises detections that were never recorded.
 *
 * `Pipeline` is the interface the ingest routes and log followers use; a
 * partitioned (cluster) implementation provides the same.
 */
import { labelFolder } from '../domain/bounded-labels.ts';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { Detection, DetectionJob, DetectionsHandled, FbEvent } from '../domain/event.ts';
import { RuleEngine } from '../domain/rules/rule-engine.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import { addMinuteCounts, deleteEventsBefore } from '../store/event-repo.ts';
import { countDeadLetters } from '../store/dead-letter-repo.ts';
import type { SourcePosition } from '../store/source-position-repo.ts';
import { encodeRequest, type EncodedRequest } from './ingest/encode-request.ts';
import { createEventWriter, type WriteJob } from './ingest/event-writer.ts';
import { createDetectionQueue } from './ingest/detection-queue.ts';
import { rebuildWindows } from './ingest/rebuild.ts';
import { createMinuteCounts } from './ingest/minute-counts.ts';

export interface PipelineStats {
  accepted: number;
  rejected: number;
  detections: number;
  byType: Map<string, number>;
  rejectedByType: Map<string, number>;
  detectionsByRule: Map<string, number>;
  /** Events stored since start. */
  persisted: number;
  /** Transactions that failed (their requests were refused with 503). */
  persistErrors: number;
  /** The last storage error while storage is failing, else null. */
  lastPersistError: string | null;
  /** True from a failed write until the next one succeeds: ingestion answers 503, readiness 503. */
  storageFailing: boolean;
  /** Events of requests waiting for their transaction. */
  pendingPersist: number;
  /** Detections recorded or being recorded and not handled yet (in memory; more may wait in the table). */
  pendingDetections: number;
  /** Failed attempts at handling a batch of detections (each retried). */
  detectionFailures: number;
  detectionLastError: string | null;
  /** Events quarantined as dead letters: since start, and in the table (read at start). */
  deadLetters: number;
  rebuiltEvents: number;
  /** Detections re-raised by the rebuild (fired before a crash, never recorded). */
  reraisedDetections: number;
}

export interface AcceptOptions {
  /** The followed log file's position after these events: saved in their transaction. */
  position?: SourcePosition;
  /** Where the events come from, for dead letters (`api`, `source:<name>`). */
  source?: string;
  /** Stop waiting for storage after this long and throw `unavailable` (an HTTP answer within its deadline). */
  waitMs?: number;
  /**
   * The JSON text each event was validated from (`texts[i]` for `events[i]`:
   * one JSON object, an NDJSON line), stored as it is instead of encoding the
   * event again.
   */
  texts?: readonly string[];
}

export interface AcceptResult {
  detections: Detection[];
  /** Events kept as dead letters instead (they could not be stored as events). */
  quarantined: number;
}

export interface Pipeline {
  readonly rules: readonly RuleSpec[];
  /**
   * Stores the events (per `events.store`) and runs them through the rules;
   * resolves once they are durably stored. Throws `rate_limited` (over
   * capacity) or `unavailable` (storage failing, shutting down, or `waitMs`
   * passed): then nothing was accepted.
   */
  accept(events: readonly FbEvent[], opts?: AcceptOptions): Promise<AcceptResult>;
  /** Counts events refused by validation, for metrics. */
  countRejected(type: string, n?: number): void;
  /** Replays stored events into the windows and re-raises unrecorded detections (at start). */
  rebuild(now: Date): Promise<number>;
  /** Writes what is pending now (per-minute counts) and waits for queued writes. */
  flush(): Promise<void>;
  /** Resolves when every detection so far has been handled. */
  drain(): Promise<void>;
  start(): void;
  /** Refuses new events, finishes queued writes (each answered 202 or 503), stops the handler loop. */
  stop(): Promise<void>;
  stats(): PipelineStats;
  engineStats(): ReturnType<RuleEngine['stats']>;
}

/** Statistics before anything happened (a fresh pipeline of either kind, and tests). */
export function emptyPipelineStats(): PipelineStats {
  return {
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
    storageFailing: false,
    detectionFailures: 0,
    detectionLastError: null,
    deadLetters: 0,
    reraisedDetections: 0,
  };
}

export interface PipelineOptions {
  /** The label an event type is counted under (default: itself when a rule matches it, else `other`). */
  typeLabel?: (type: string) => string;
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
  onDetections(batch: readonly DetectionJob[]): Promise<void | DetectionsHandled>;
  /** Which raw events to store: those some rule looks at (default), all, or none. */
  store?: 'matched' | 'all' | 'none';
  /** Events waiting for storage at most; beyond it accept() refuses with rate_limited. */
  queueLimit?: number;
  retentionMs?: number;
  /** How often per-minute counts are written when no events are (ms). */
  flushIntervalMs?: number;
  /** Events written by one transaction at most. */
  batchSize?: number;
}

/** Detections handed to `onDetections` at once at most. */
export const DETECTION_BATCH = 10_000;
/** While storage fails, one request per this many ms is let through to notice recovery. */
const PROBE_EVERY_MS = 1000;

export function createPipeline(opts: PipelineOptions): Pipeline {
  const engine = new RuleEngine(opts.rules);
  const matchedTypes = new Set(opts.rules.flatMap((r) => r.match.map((m) => m.type)));
  const typeLabel = opts.typeLabel ?? labelFolder(matchedTypes); // bounded label set (src/domain/bounded-labels.ts)
  const storePolicy = opts.store ?? 'matched';
  const queueLimit = opts.queueLimit ?? 1_000_000;
  const flushMs = opts.flushIntervalMs ?? 1000;
  const minutes = createMinuteCounts();
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  let lastRetention = 0;
  let lastProbe = 0;
  let deadLettersAtStart = 0;
  const st = {
    accepted: 0,
    rejected: 0,
    detections: 0,
    byType: new Map<string, number>(),
    rejectedByType: new Map<string, number>(),
    detectionsByRule: new Map<string, number>(),
    persisted: 0,
    quarantined: 0,
    rebuiltEvents: 0,
    reraised: 0,
  };
  const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

  const detections = createDetectionQueue({
    db: opts.db,
    logger: opts.logger,
    clock: opts.clock,
    rules: opts.rules,
    onDetections: opts.onDetections,
    batchSize: DETECTION_BATCH,
  });

  /** Runs accepted events through the rules (after they are stored). */
  function run(events: readonly FbEvent[], out: Detection[]): void {
    for (const ev of events) {
      st.accepted++;
      const label = typeLabel(ev.type);
      bump(st.byType, label);
      minutes.add(ev.tsUs, label, 0);
      let ds: Detection[];
      try {
        ds = engine.process(ev);
      } catch (err) {
        opts.logger.error({ err, type: ev.type }, 'the rule engine failed on an event; skipped');
        continue;
      }
      for (const d of ds) {
        st.detections++;
        bump(st.detectionsByRule, d.rule);
        minutes.add(ev.tsUs, `detection:${d.rule}`, 2);
        out.push(d);
      }
    }
  }

  const results = new WeakMap<WriteJob, AcceptResult>();
  const writer = createEventWriter({
    db: opts.db,
    logger: opts.logger,
    clock: opts.clock,
    maxEventsPerTx: opts.batchSize ?? 20_000,
    hasExtras: () => minutes.size() > 0,
    extras() {
      const rows = minutes.take();
      if (rows.length === 0) return null;
      return { write: (q: Queryable) => addMinuteCounts(q, rows), restore: () => minutes.restore(rows) };
    },
    onCommitted(jobs) {
      const fired: Detection[] = [];
      for (const j of jobs) {
        st.persisted += j.enc.stored;
        st.quarantined += j.quarantined + j.enc.dead.length;
        if (j.abandoned) continue; // its sender was answered 503 and sends the events again
        const out: Detection[] = [];
        run(j.events, out);
        results.set(j, { detections: out, quarantined: j.quarantined + j.enc.dead.length });
        fired.push(...out);
      }
      detections.record(fired);
    },
  });

  function retention(): void {
    const now = opts.clock();
    if (!opts.retentionMs || now.getTime() - lastRetention < 60_000) return;
    lastRetention = now.getTime();
    deleteEventsBefore(opts.db, new Date(now.getTime() - opts.retentionMs)).catch((err: unknown) =>
      opts.logger.warn({ err }, 'event retention failed'),
    );
  }

  function schedule(): void {
    timer = setTimeout(() => {
      writer
        .flushExtras()
        .catch(() => {})
        .finally(() => {
          retention();
          if (timer) schedule();
        });
    }, flushMs);
  }

  return {
    rules: opts.rules,
    async accept(events, aopts = {}) {
      if (stopping) throw new AppError('unavailable', 'Firebreak is shutting down; send the events again shortly', { retryAfter: 5 });
      const w = writer.status();
      if (w.failing) {
        if (Date.now() - lastProbe < PROBE_EVERY_MS) {
          throw new AppError('unavailable', `events cannot be stored now (${w.lastError}); nothing was accepted, retry`, { retryAfter: 2 });
        }
        lastProbe = Date.now(); // this request tries the database: success ends the outage
      }
      const pending = writer.pendingEvents();
      if (pending > 0 && pending + events.length > queueLimit) {
        throw new AppError('rate_limited', `Firebreak is catching up (${pending} events waiting to be stored); retry shortly`, {
          retryAfter: 1,
        });
      }
      const source = aopts.source ?? 'api';
      let enc: EncodedRequest;
      if (storePolicy === 'all') enc = encodeRequest(events, source, aopts.texts);
      else if (storePolicy === 'none') enc = encodeRequest([], source);
      else {
        const texts = aopts.texts;
        const toStore: FbEvent[] = [];
        const toStoreTexts: string[] | undefined = texts ? [] : undefined;
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          if (!matchedTypes.has(e.type)) continue;
          toStore.push(e);
          toStoreTexts?.push(texts![i]!);
        }
        enc = encodeRequest(toStore, source, toStoreTexts);
      }
      if (enc.stored === 0 && enc.dead.length === 0 && !aopts.position) {
        const out: Detection[] = [];
        run(events, out); // nothing to store: accepted now
        detections.record(out);
        return { detections: out, quarantined: 0 };
      }
      const job: WriteJob = {
        enc,
        events,
        source,
        position: aopts.position,
        abandoned: false,
        quarantined: 0,
        resolve: () => {},
        reject: () => {},
      };
      const done = new Promise<void>((resolve, reject) => {
        job.resolve = resolve;
        job.reject = reject;
      });
      writer.enqueue(job);
      if (!aopts.waitMs) await done;
      else {
        let t: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          t = setTimeout(() => {
            job.abandoned = true;
            reject(new AppError('unavailable', 'storing the events is taking too long; nothing was accepted, retry', { retryAfter: 2 }));
          }, aopts.waitMs);
        });
        try {
          await Promise.race([done, late]);
        } finally {
          clearTimeout(t);
        }
      }
      return results.get(job) ?? { detections: [], quarantined: job.quarantined };
    },
    countRejected(type, n = 1) {
      st.rejected += n;
      bump(st.rejectedByType, typeLabel(type), n);
      minutes.add(Date.now() * 1000, typeLabel(type), 1, n);
    },
    async rebuild(now) {
      const r = await rebuildWindows(opts.db, engine, opts.rules, now);
      st.rebuiltEvents = r.events;
      st.reraised = r.reraised.length;
      if (r.reraised.length) opts.logger.warn({ detections: r.reraised.length }, 're-raising detections that were never recorded');
      if (r.invalid)
        opts.logger.warn(
          { events: r.invalid, error: r.invalidError },
          'stored events that no longer pass validation were not replayed into the windows',
        );
      deadLettersAtStart = (await countDeadLetters(opts.db)).events;
      detections.record(r.reraised);
      detections.resume(); // unhandled detections left by the previous run
      return r.events;
    },
    async flush() {
      await writer.idle();
      await writer.flushExtras();
    },
    async drain() {
      await writer.idle();
      await detections.drain();
    },
    start() {
      if (!timer && !stopping) schedule();
    },
    async stop() {
      stopping = true;
      const t = timer;
      timer = null;
      if (t) clearTimeout(t);
      await writer.idle(); // queued requests are answered: 202 once stored, or 503
      await writer.flushExtras().catch(() => {});
      await detections.stop(); // what is not handled stays in the table for the next start
    },
    stats() {
      const w = writer.status();
      const d = detections.stats();
      return {
        ...st,
        persistErrors: w.failures,
        lastPersistError: w.failing ? w.lastError : null,
        storageFailing: w.failing,
        pendingPersist: writer.pendingEvents(),
        pendingDetections: d.unrecorded + d.queued,
        detectionFailures: d.failedAttempts,
        detectionLastError: d.lastError,
        deadLetters: deadLettersAtStart + st.quarantined,
        reraisedDetections: st.reraised,
      };
    },
    engineStats: () => engine.stats(),
  };
}
