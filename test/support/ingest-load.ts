/**
 * Ingest load for fault tests: senders posting numbered events (`attrs.seq`)
 * at a steady rate, counting the sequence numbers of every 202 answer, and
 * reading back which numbers a database holds.
 */
import type { Queryable } from '../../src/store/db.ts';

export interface Load {
  /** Sequence numbers of events acknowledged with 202. */
  acked: Set<number>;
  statuses: Map<number, number>;
  /** Slowest answer (ms). */
  slowest: number;
  /** Answers that were neither 202, 429 nor 503 with Retry-After, or network errors other than a dead server. */
  odd: string[];
  stop(): Promise<void>;
}

let nextSeq = 0;

/** `senders` loops each posting `batch` events then pausing `pauseMs`; stops on stop(). */
export function startLoad(opts: { url: string; token: string; senders: number; batch: number; pauseMs: number; type?: string }): Load {
  const load: Load = { acked: new Set(), statuses: new Map(), slowest: 0, odd: [], stop: async () => {} };
  let running = true;
  const loops: Promise<void>[] = [];
  for (let s = 0; s < opts.senders; s++) {
    loops.push(
      (async () => {
        while (running) {
          const first = nextSeq;
          nextSeq += opts.batch;
          const lines: string[] = [];
          for (let i = 0; i < opts.batch; i++) {
            const seq = first + i;
            lines.push(
              JSON.stringify({
                type: opts.type ?? 'http.request',
                ts: new Date().toISOString(),
                ip: `10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`,
                route: '/load',
                status: 200,
                attrs: { seq },
              }),
            );
          }
          const t0 = performance.now();
          try {
            const r = await fetch(`${opts.url}/api/v1/events`, {
              method: 'POST',
              headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/x-ndjson' },
              body: lines.join('\n'),
            });
            await r.text();
            load.slowest = Math.max(load.slowest, performance.now() - t0);
            load.statuses.set(r.status, (load.statuses.get(r.status) ?? 0) + 1);
            if (r.status === 202) for (let i = 0; i < opts.batch; i++) load.acked.add(first + i);
            else if ((r.status !== 429 && r.status !== 503) || !r.headers.get('retry-after')) load.odd.push(`status ${r.status}`);
          } catch {
            // The server is gone (killed) or restarting: nothing acknowledged.
            await new Promise((r) => setTimeout(r, 50));
          }
          if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
        }
      })(),
    );
  }
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return load;
}

/** Sequence numbers (attrs.seq) of the events stored in `event_batches`, and of those kept as dead letters. */
export async function storedSeqs(q: Queryable): Promise<Set<number>> {
  const out = new Set<number>();
  let after = 0;
  for (;;) {
    const r = await q.query<{ id: number; data: string }>(`SELECT id, data FROM event_batches WHERE id > $1 ORDER BY id LIMIT 200`, [
      after,
    ]);
    for (const row of r.rows) {
      for (const ev of JSON.parse(row.data) as { attrs?: { seq?: number } }[]) if (typeof ev.attrs?.seq === 'number') out.add(ev.attrs.seq);
      after = Number(row.id);
    }
    if (r.rows.length < 200) return out;
  }
}

export function missing(acked: Set<number>, stored: Set<number>): number[] {
  const out: number[] = [];
  for (const s of acked) if (!stored.has(s)) out.push(s);
  return out;
}
