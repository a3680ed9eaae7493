/**
 * Group commit of accepted events: requests that arrive while a transaction
 * is being written wait and are written together by the next one (one
 * `event_batches` row per transaction), so many small requests cost one
 * round trip and a request is answered only once its events are stored.
 *
 * A failed transaction rejects its requests with `unavailable` (nothing of
 * theirs was stored; the caller answers 503 and the client retries) and marks
 * storage as failing. A transaction the database refuses for another reason
 * (not an outage) is retried one request at a time, and a request that still
 * fails is stored as a dead letter instead: one poison request never blocks
 * the others, and nothing acknowledged is dropped.
 */
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import type { Db, Queryable } from '../../store/db.ts';
import type { FbEvent } from '../../domain/event.ts';
import { insertEventBatch, packEventBatch } from '../../store/event-repo.ts';
import { insertDeadLetters } from '../../store/dead-letter-repo.ts';
import { saveSourcePosition, type SourcePosition } from '../../store/source-position-repo.ts';
import type { EncodedRequest } from './encode-request.ts';

/** Ingestion's writes go ahead of other work on the embedded database's one session (store/db.ts). */
const INGEST = { priority: 'ingest' } as const;

export interface WriteJob {
  enc: EncodedRequest;
  /** Every event of the request (stored or not), for the rule engine once stored. */
  events: readonly FbEvent[];
  source: string;
  position?: SourcePosition;
  /** Set when the caller stopped waiting (it was told the events were not accepted). */
  abandoned: boolean;
  /** Events of this request stored as dead letters (encode failures, or the whole request). */
  quarantined: number;
  resolve(): void;
  reject(err: unknown): void;
}

export interface EventWriterOptions {
  db: Db;
  logger: Logger;
  clock: () => Date;
  /** Events written by one transaction at most (a short transaction: PGlite has one session). */
  maxEventsPerTx: number;
  /** Extra writes of the same transaction (per-minute counts); `restore` puts them back when it fails. */
  extras(): { write(q: Queryable): Promise<void>; restore(): void } | null;
  hasExtras(): boolean;
  /** Called after the commit, in order, before the requests are answered. */
  onCommitted(jobs: readonly WriteJob[]): void;
}

export interface EventWriter {
  enqueue(job: WriteJob): void;
  /** Writes the extras alone when nothing is queued (periodic flush). */
  flushExtras(): Promise<void>;
  /** Resolves when the queue is empty and nothing is being written. */
  idle(): Promise<void>;
  pendingEvents(): number;
  status(): { failing: boolean; lastError: string | null; lastFailureAt: number; failures: number; transactions: number };
}

export function createEventWriter(opts: EventWriterOptions): EventWriter {
  const queue: WriteJob[] = [];
  let queuedEvents = 0;
  let running: Promise<void> | null = null;
  const st = { failing: false, lastError: null as string | null, lastFailureAt: 0, failures: 0, transactions: 0 };

  async function writeTx(jobs: readonly WriteJob[], withExtras: boolean): Promise<void> {
    let n = 0;
    let tsMin = Infinity;
    let tsMax = -Infinity;
    const types = new Set<string>();
    const parts: string[] = [];
    for (const j of jobs) {
      if (j.enc.stored === 0) continue;
      n += j.enc.stored;
      parts.push(j.enc.part);
      if (j.enc.tsMinUs < tsMin) tsMin = j.enc.tsMinUs;
      if (j.enc.tsMaxUs > tsMax) tsMax = j.enc.tsMaxUs;
      for (const t of j.enc.types) types.add(t);
    }
    // Deflated on the thread pool before the transaction opens (PGlite has one session: not held meanwhile).
    const data = n > 0 ? await packEventBatch(parts) : '';
    const extras = withExtras ? opts.extras() : null;
    const now = opts.clock();
    try {
      await opts.db.tx(async (q) => {
        await insertEventBatch(q, { tsMinUs: tsMin, tsMaxUs: tsMax, n, types: [...types], parts, data });
        await insertDeadLetters(
          q,
          jobs.flatMap((j) => j.enc.dead),
          now,
        );
        for (const j of jobs) if (j.position) await saveSourcePosition(q, j.position, now);
        if (extras) await extras.write(q);
      }, INGEST);
    } catch (err) {
      extras?.restore();
      throw err;
    }
    st.transactions++;
  }

  /** Stores a request the database refused as one dead letter (with its position), so the pipeline moves on. */
  async function quarantine(j: WriteJob, cause: unknown): Promise<void> {
    const now = opts.clock();
    await opts.db.tx(async (q) => {
      await insertDeadLetters(
        q,
        [
          ...j.enc.dead,
          {
            source: j.source,
            error: `the database refused the events: ${(cause as Error).message}`.slice(0, 1000),
            n: j.enc.stored,
            sample: `[${j.enc.part.slice(0, 2000)}${j.enc.part.length > 2000 ? '…' : ']'}`,
          },
        ],
        now,
      );
      if (j.position) await saveSourcePosition(q, j.position, now);
    }, INGEST);
    j.quarantined += j.enc.stored;
    j.enc = { ...j.enc, stored: 0, part: '', dead: [] };
  }

  function succeed(jobs: readonly WriteJob[]): void {
    st.failing = false;
    st.lastError = null;
    try {
      opts.onCommitted(jobs);
    } finally {
      for (const j of jobs) j.resolve();
    }
  }

  function fail(jobs: readonly WriteJob[], err: unknown): void {
    st.failing = true;
    st.failures++;
    st.lastFailureAt = Date.now();
    st.lastError = (err as Error).message;
    opts.logger.warn({ err, requests: jobs.length }, 'storing events failed; the requests were refused (503) and will be sent again');
    const refusal = new AppError('unavailable', `events could not be stored (${st.lastError}); nothing was accepted, retry`, {
      cause: err,
      retryAfter: 2,
    });
    for (const j of jobs) j.reject(refusal);
  }

  const isOutage = (err: unknown) => !(err instanceof AppError) || err.code === 'unavailable';

  async function writeOne(j: WriteJob): Promise<void> {
    try {
      await writeTx([j], false);
      succeed([j]);
    } catch (err) {
      if (isOutage(err)) return fail([j], err);
      try {
        await quarantine(j, err); // it stores: storage works, this request is what it refuses
        opts.logger.error({ err, source: j.source }, 'a request could not be stored; kept as a dead letter');
        succeed([j]);
      } catch (err2) {
        fail([j], err2);
      }
    }
  }

  async function loop(): Promise<void> {
    while (queue.length > 0) {
      let n = 0;
      let k = 0;
      while (k < queue.length && (k === 0 || n + queue[k]!.enc.stored <= opts.maxEventsPerTx)) n += queue[k++]!.enc.stored;
      const jobs = queue.splice(0, k);
      try {
        await writeTx(jobs, true);
        succeed(jobs);
      } catch (err) {
        if (isOutage(err)) fail(jobs, err);
        else for (const j of jobs) await writeOne(j); // find the request the database refuses
      } finally {
        queuedEvents -= n; // counted until answered: they are in memory until then
      }
    }
  }

  function kick(): void {
    if (running) return;
    running = loop()
      .catch((err: unknown) => opts.logger.error({ err }, 'event writer failed'))
      .finally(() => {
        running = null;
        if (queue.length > 0) kick();
      });
  }

  return {
    enqueue(job) {
      queue.push(job);
      queuedEvents += job.enc.stored;
      kick();
    },
    async flushExtras() {
      if (running || queue.length > 0) return this.idle();
      // While storage is failing, an idle writer still tries a transaction each flush: the first that
      // commits ends the outage (readiness 200 again) without waiting for traffic or pending counts.
      if (!opts.hasExtras() && !st.failing) return;
      // Through the queue, so it never runs beside an events transaction.
      await new Promise<void>((resolve, reject) => {
        this.enqueue({
          enc: { part: '', stored: 0, tsMinUs: 0, tsMaxUs: 0, types: new Set(), dead: [] },
          events: [],
          source: 'flush',
          abandoned: false,
          quarantined: 0,
          resolve,
          reject,
        });
      });
    },
    async idle() {
      while (running) await running;
    },
    pendingEvents: () => queuedEvents,
    status: () => ({ ...st }),
  };
}
