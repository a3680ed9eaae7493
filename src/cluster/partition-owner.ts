/**
 * Running the rules for the partitions this instance owns.
 *
 * Takeover of partition p:
 *   1. read p's commit point (last processed entry id) from PostgreSQL;
 *   2. rebuild the windows from p's stream up to it, detections suppressed
 *      (they were committed by the previous owner);
 *   3. handle detections committed but not yet handled (the previous owner
 *      died between its commit and opening the incident);
 *   4. then process entries after the commit point.
 * Processing a batch of entries: run the events through the partition's
 * engine, then one transaction moves the commit point (compare-and-set, so a
 * stale owner that lost its lease cannot commit) and inserts the detections
 * (unique on rule, key, at: a firing is recorded once); then each new
 * detection is handled (incident opened or appended) and marked handled.
 */
import type { Logger } from 'pino';
import type { Detection, DetectionJob, DetectionsHandled } from '../domain/event.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import type { Db } from '../store/db.ts';
import { addMinuteCounts } from '../store/event-repo.ts';
import { markDetectionsHandled } from '../store/detection-repo.ts';
import {
  commitPartition,
  detectionOnTimeline,
  getPartitionCursor,
  markDetectionHandled,
  unhandledDetections,
  type CommittedDetection,
} from '../store/cluster-repo.ts';
import { compareIds, type ClusterRedis, type StreamEntry } from './cluster-redis.ts';
import { PartitionEngine } from './partition-engine.ts';
import type { PartitionRouter } from './partition-key.ts';

export interface OwnedPartition {
  readonly p: number;
  engine: PartitionEngine;
  /** Last committed entry id. */
  cursor: string;
  ready: boolean;
  stopped: boolean;
  /** The work in progress on this partition (takeover or a batch), awaited before handing it back. */
  busy: Promise<void>;
  rebuiltEntries: number;
}

export interface PartitionOwnerOptions {
  db: Db;
  redis: ClusterRedis;
  router: PartitionRouter;
  rules: readonly RuleSpec[];
  instance: string;
  logger: Logger;
  clock: () => Date;
  onDetections(batch: readonly DetectionJob[]): Promise<void | DetectionsHandled>;
  /** Counted when a detection is committed (stats, metrics). */
  onCommitted(d: Detection): void;
}

const MINUTE_US = 60_000_000;

export class PartitionOwner {
  readonly owned = new Map<number, OwnedPartition>();
  private readonly ruleByName: Map<string, RuleSpec>;
  lostCommits = 0;

  constructor(private readonly o: PartitionOwnerOptions) {
    this.ruleByName = new Map(o.rules.map((r) => [r.name, r]));
  }

  /** Starts a takeover in the background; the partition is processed once it is ready. */
  take(p: number): void {
    const part: OwnedPartition = {
      p,
      engine: new PartitionEngine(p, this.o.router),
      cursor: '0-0',
      ready: false,
      stopped: false,
      busy: Promise.resolve(),
      rebuiltEntries: 0,
    };
    this.owned.set(p, part);
    part.busy = this.takeover(part).catch((err: unknown) => {
      this.o.logger.error({ err, partition: p }, 'partition takeover failed; it will be retried');
      this.owned.delete(p);
      part.stopped = true;
    });
  }

  /** Stops processing p; resolves once its work in progress has finished. */
  async drop(p: number): Promise<void> {
    const part = this.owned.get(p);
    if (!part) return;
    part.stopped = true;
    this.owned.delete(p);
    await part.busy.catch(() => {});
  }

  private async takeover(part: OwnedPartition): Promise<void> {
    const t0 = performance.now();
    part.cursor = await getPartitionCursor(this.o.db, this.o.redis.prefix, part.p);
    let after = '0-0';
    const none: Detection[] = [];
    for (;;) {
      if (part.stopped) return;
      const entries = await this.o.redis.range(part.p, after, 2000, part.cursor);
      for (const e of entries) {
        for (const ev of e.events) part.engine.process(ev, none);
        none.length = 0; // committed by the previous owner
      }
      part.rebuiltEntries += entries.length;
      if (entries.length < 2000) break;
      after = entries[entries.length - 1]!.id;
    }
    for (const d of await unhandledDetections(this.o.db, part.p)) {
      // Handled but not marked (the owner died in between): its incident has it; do not append it twice.
      if (await detectionOnTimeline(this.o.db, d)) await this.handle(d, false);
      else await this.handle(d);
    }
    part.ready = true;
    this.o.logger.info(
      { partition: part.p, cursor: part.cursor, rebuilt_entries: part.rebuiltEntries, ms: Math.round(performance.now() - t0) },
      'partition taken over',
    );
  }

  /** Runs a batch of entries (in stream order, after the cursor) through the partition. */
  process(p: number, entries: readonly StreamEntry[]): Promise<void> {
    const part = this.owned.get(p);
    if (!part || !part.ready || part.stopped || entries.length === 0) return Promise.resolve();
    const run = part.busy.then(() => this.processNow(part, entries));
    part.busy = run.catch(() => {});
    return run;
  }

  private async processNow(part: OwnedPartition, entries: readonly StreamEntry[]): Promise<void> {
    if (part.stopped) return;
    const fresh = entries.filter((e) => compareIds(e.id, part.cursor) > 0);
    if (fresh.length === 0) return;
    const found: CommittedDetection[] = [];
    const ds: Detection[] = [];
    for (const e of fresh) {
      for (const ev of e.events) part.engine.process(ev, ds);
      for (const d of ds) found.push({ ...d, partition: part.p, entryId: e.id });
      ds.length = 0;
    }
    const to = fresh[fresh.length - 1]!.id;
    const res = await this.o.db.tx(async (q) => {
      const r = await commitPartition(q, {
        prefix: this.o.redis.prefix,
        partition: part.p,
        from: part.cursor,
        to,
        instance: this.o.instance,
        detections: found,
      });
      if (r.ok && r.inserted.length) {
        const mins = new Map<string, { minute: Date; type: string; events: number; rejected: number; detections: number }>();
        for (const d of r.inserted) {
          const minute = Math.floor(d.atUs / MINUTE_US) * 60_000;
          const k = `${minute}/${d.rule}`;
          const row = mins.get(k) ?? { minute: new Date(minute), type: `detection:${d.rule}`, events: 0, rejected: 0, detections: 0 };
          row.detections++;
          mins.set(k, row);
        }
        await addMinuteCounts(q, [...mins.values()]);
      }
      return r;
    });
    if (!res.ok) {
      // Another instance moved the commit point: it owns the partition now. Our windows are stale.
      this.lostCommits++;
      this.o.logger.warn({ partition: part.p }, 'partition committed by another instance; dropping it here');
      part.stopped = true;
      this.owned.delete(part.p);
      return;
    }
    part.cursor = to;
    for (const d of res.inserted) {
      this.o.onCommitted(d);
      // Lease lost meanwhile: the next owner handles what is committed and unhandled.
      if (!part.stopped) await this.handle(d);
    }
  }

  /** Opens or appends the incident (unless `open` is false: already done), then marks the detection handled. */
  private async handle(d: CommittedDetection, open = true): Promise<void> {
    const rule = this.ruleByName.get(d.rule);
    if (rule && open) {
      // The handler is idempotent (incidents dedup, action ids are stable): retry a failure (a deadlock
      // between instances opening incidents at once, PostgreSQL briefly away) before giving up on it.
      for (let attempt = 1; ; attempt++) {
        try {
          const handled = await this.o.onDetections([{ d, rule }]);
          if (handled?.behind) await handled.behind();
          break;
        } catch (err) {
          if (attempt >= 5) {
            this.o.logger.error(
              { err, rule: d.rule, key: d.key },
              'handling a detection failed; the next owner of the partition retries it',
            );
            return; // left unhandled: found again at the next takeover
          }
          this.o.logger.warn({ err, rule: d.rule, key: d.key, attempt }, 'handling a detection failed; retrying');
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    }
    const now = this.o.clock();
    if (rule && d.detectionId)
      await markDetectionsHandled(this.o.db, [d.detectionId], { [rule.name]: rule.incident_type }, now).catch((err: unknown) =>
        this.o.logger.warn({ err, rule: d.rule, key: d.key }, 'linking a detection to its incident failed'),
      );
    await markDetectionHandled(this.o.db, d, now).catch((err: unknown) =>
      this.o.logger.warn({ err, rule: d.rule, key: d.key }, 'marking a detection handled failed'),
    );
  }
}
