/**
 * Detections as durable intents, handled in two stages per batch, in firing order:
 *
 *   1. the handler (`onDetections`): incidents placed, bans and locks decided
 *   2. what it left `behind` (run records, timeline, audit), then the detections
 *      recorded in the `detections` table and marked handled, in one transaction
 *
 * Stage 2 of one batch runs beside stage 1 of the next, so a storm's later bans
 * wait neither for its earlier bookkeeping nor for recording its detections. A
 * detection not yet recorded when the process dies is re-raised by the rebuild
 * at start (its events are stored: see rebuild.ts), and the handler is
 * idempotent, so it is handled again and finds what was done in place.
 *
 * Memory holds at most `memoryLimit` detections: beyond that (or after a
 * restart) they are recorded at once and read back from the table, oldest
 * first. A batch that fails is counted on its recorded rows (`attempts`,
 * `last_error`) and retried whole after a pause.
 *
 * The handler runs beside ingestion, never in front of it: ingest answers do
 * not wait for it, and its transactions are short ones interleaved with the
 * event writer's on the database's session.
 */
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import type { Detection, DetectionJob, DetectionsHandled } from '../../domain/event.ts';
import type { RuleSpec } from '../../domain/rules/rule-spec.ts';
import { insertDetections, loadUnhandledDetections, markDetectionsFailed, markDetectionsHandled } from '../../store/detection-repo.ts';

export interface DetectionQueueOptions {
  db: Db;
  logger: Logger;
  clock: () => Date;
  rules: readonly RuleSpec[];
  onDetections(batch: readonly DetectionJob[]): Promise<void | DetectionsHandled>;
  /** Detections handed to the handler at once at most. */
  batchSize: number;
  /** Recorded detections kept in memory at most; more wait in the table. */
  memoryLimit?: number;
}

export interface DetectionQueue {
  /** Queues detections for the handler (recorded with their handling, see recordPending). Never throws. */
  record(ds: readonly Detection[]): void;
  /** Reads unhandled detections left in the table (at start). */
  resume(): void;
  /** Resolves when every detection recorded so far is handled (or the queue stops). */
  drain(): Promise<void>;
  stop(): Promise<void>;
  stats(): { unrecorded: number; queued: number; handled: number; failedAttempts: number; lastError: string | null; backlog: boolean };
}

interface Queued {
  /** Its row in `detections`; null until it is recorded (stage 2, see finish). */
  id: string | null;
  job: DetectionJob;
}

export function createDetectionQueue(opts: DetectionQueueOptions): DetectionQueue {
  const ruleByName = new Map(opts.rules.map((r) => [r.name, r]));
  const incidentTypes = Object.fromEntries(opts.rules.map((r) => [r.name, r.incident_type]));
  const memoryLimit = opts.memoryLimit ?? 20_000;
  let unrecorded: Detection[] = [];
  const queue: Queued[] = [];
  /** Unhandled rows may sit in the table beyond what memory holds (after a restart or an overflow). */
  let inTable = false;
  let lastQueuedId = '0';
  let running: Promise<void> | null = null;
  /** Stage 2 of the last batch handed over (see finish). */
  let behind: Promise<void> = Promise.resolve();
  let stopped = false;
  let wake: (() => void) | null = null;
  const st = { handled: 0, failedAttempts: 0, lastError: null as string | null };

  const pause = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(() => ((wake = null), r()), ms);
      wake = () => (clearTimeout(t), (wake = null), r());
    });

  /**
   * New detections go to the in-memory queue as they are: they are recorded
   * with their handling's bookkeeping (finish), off the path to the ban. A
   * crash before that loses nothing: their events are stored, and the rebuild
   * at start re-raises every firing that is not recorded. Beyond the memory
   * limit (or behind detections already waiting in the table) they are
   * recorded now and read back later, in firing order.
   */
  async function recordPending(): Promise<boolean> {
    if (unrecorded.length === 0) return true;
    if (!inTable) {
      const take = unrecorded.splice(0, Math.max(0, memoryLimit - queue.length));
      for (const d of take) queue.push({ id: null, job: { d, rule: ruleByName.get(d.rule)! } });
      if (unrecorded.length === 0) return true;
    }
    const ds = unrecorded;
    unrecorded = [];
    try {
      const ids = await insertDetections(opts.db, ds);
      for (let i = 0; i < ds.length; i++) {
        if (queue.length >= memoryLimit || inTable) inTable = true;
        else {
          queue.push({ id: ids[i]!, job: { d: ds[i]!, rule: ruleByName.get(ds[i]!.rule)! } });
          lastQueuedId = ids[i]!;
        }
      }
      return true;
    } catch (err) {
      unrecorded = ds.concat(unrecorded);
      st.lastError = `recording detections: ${(err as Error).message}`;
      opts.logger.warn({ err, detections: ds.length }, 'recording detections failed; will retry');
      return false;
    }
  }

  async function refill(): Promise<void> {
    const rows = await loadUnhandledDetections(opts.db, lastQueuedId, opts.batchSize);
    if (rows.length < opts.batchSize) inTable = false;
    for (const r of rows) {
      lastQueuedId = r.id;
      const rule = ruleByName.get(r.rule);
      if (!rule) {
        // The rule was removed from the configuration since: nothing can handle it.
        await markDetectionsFailed(opts.db, [r.id], `rule ${r.rule} is not configured`);
        await markDetectionsHandled(opts.db, [r.id], incidentTypes, opts.clock());
        continue;
      }
      queue.push({ id: r.id, job: { d: { rule: r.rule, key: r.key, atUs: r.atUs, value: r.value }, rule } });
    }
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      if (!(await recordPending())) {
        await pause(Math.min(5000, 200 * 2 ** failures++));
        continue;
      }
      if (queue.length === 0 && inTable) {
        try {
          await refill();
        } catch (err) {
          st.lastError = `reading detections: ${(err as Error).message}`;
          await pause(Math.min(5000, 200 * 2 ** failures++));
          continue;
        }
      }
      if (queue.length === 0) {
        if (unrecorded.length === 0 && !inTable) return;
        continue;
      }
      const batch = queue.splice(0, opts.batchSize);
      let handled: void | DetectionsHandled;
      try {
        handled = await opts.onDetections(batch.map((b) => b.job));
      } catch (err) {
        queue.unshift(...batch);
        await failed(batch, err);
        await pause(Math.min(5000, 200 * 2 ** failures++));
        continue;
      }
      failures = 0;
      // The batch's bookkeeping runs beside the next batch's enforcement; one batch's at a time.
      await behind;
      behind = finish(batch, handled ?? {});
    }
  }

  /** Stage 2 of a batch: what the handler left behind, then the rows marked handled. */
  async function finish(batch: Queued[], handled: DetectionsHandled): Promise<void> {
    try {
      if (handled.behind) await handled.behind();
      const fresh = batch.filter((b) => b.id === null);
      const now = opts.clock();
      const ids = await opts.db.tx(async (q) => {
        // Recorded and marked handled in one transaction: a refill never reads them as waiting.
        const ids = await insertDetections(
          q,
          fresh.map((b) => b.job.d),
        );
        const fresher = new Map(fresh.map((b, i) => [b, ids[i]!]));
        await markDetectionsHandled(
          q,
          batch.map((b) => b.id ?? fresher.get(b)!),
          incidentTypes,
          now,
        );
        return ids;
      });
      fresh.forEach((b, i) => (b.id = ids[i]!)); // only once committed: a rolled-back insert is inserted again on retry
      st.handled += batch.length;
      st.lastError = null;
    } catch (err) {
      // Handled again whole (the handler is idempotent: its decisions are found in place).
      queue.unshift(...batch);
      await failed(batch, err);
      await pause(1000);
      kick();
    }
  }

  async function failed(batch: readonly Queued[], err: unknown): Promise<void> {
    st.failedAttempts++;
    st.lastError = (err as Error).message;
    opts.logger.error({ err, detections: batch.length }, 'handling detections failed; the batch will be retried');
    // A failing detection is recorded now, so its attempts and error are visible (GET /api/v1/detections).
    const fresh = batch.filter((b) => b.id === null);
    try {
      const ids = await insertDetections(
        opts.db,
        fresh.map((b) => b.job.d),
      );
      fresh.forEach((b, i) => (b.id = ids[i]!));
      await markDetectionsFailed(
        opts.db,
        batch.flatMap((b) => (b.id === null ? [] : [b.id])),
        (err as Error).message,
      );
    } catch {
      // The database is away too: the batch stays in memory (and the rebuild re-raises what is not recorded).
    }
  }

  function kick(): void {
    if (running || stopped) return;
    running = loop()
      .catch((err: unknown) => {
        st.lastError = (err as Error).message;
        opts.logger.error({ err }, 'detection queue failed');
      })
      .finally(() => {
        running = null;
        if (!stopped && (queue.length > 0 || unrecorded.length > 0 || inTable)) setTimeout(kick, 1000).unref();
      });
  }

  return {
    record(ds) {
      if (ds.length === 0) return;
      unrecorded.push(...ds);
      wake?.();
      kick();
    },
    resume() {
      inTable = true;
      kick();
    },
    async drain() {
      for (;;) {
        while (!stopped && (running || queue.length > 0 || unrecorded.length > 0 || inTable)) {
          if (!running) kick();
          await (running ?? new Promise((r) => setTimeout(r, 10)));
        }
        const b = behind;
        await b;
        if (stopped || (b === behind && !running && queue.length === 0 && unrecorded.length === 0 && !inTable)) return;
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await behind;
    },
    stats: () => ({ unrecorded: unrecorded.length, queued: queue.length, ...st, backlog: inTable }),
  };
}
