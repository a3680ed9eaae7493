/**
 * One run of one probe: the one place that maps a probe `type` to its check.
 * Never throws; the deadline (the probe's timeout) always ends the run.
 */
import { redactSecrets } from '../../domain/redact-url.ts';
import type { Config } from '../../config.ts';
import { withDeadline } from './deadline.ts';
import { checkHttp } from './http-check.ts';
import { checkPostgres } from './postgres-check.ts';
import { checkRedis } from './redis-check.ts';
import { checkTcp } from './tcp-check.ts';

export type ProbeConfig = Config['probes'][number];

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export async function runProbe(probe: ProbeConfig): Promise<ProbeResult> {
  const t0 = performance.now();
  const done = (error?: string): ProbeResult => ({
    ok: error === undefined,
    latencyMs: Math.round((performance.now() - t0) * 100) / 100,
    ...(error === undefined ? {} : { error: redactSecrets(error) }),
  });
  try {
    switch (probe.type) {
      case 'http': {
        const r = await checkHttp(probe.url, { timeoutMs: probe.timeout, expectStatus: probe.expect_status });
        return done(r.ok ? undefined : r.error);
      }
      case 'postgres':
        await withDeadline(probe.timeout, 'postgres probe', (signal) => checkPostgres(probe.url, probe.timeout, signal));
        return done();
      case 'redis':
        await withDeadline(probe.timeout, 'redis probe', (signal) => checkRedis(probe.url, signal));
        return done();
      case 'tcp':
        await withDeadline(probe.timeout, 'tcp probe', (signal) => checkTcp(probe.url, signal));
        return done();
      default: {
        const unknown: never = probe.type;
        return done(`unknown probe type ${String(unknown)}`);
      }
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    return done(e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message || String(err));
  }
}
