/**
 * How runbook verification checks read the world (the CheckIo of
 * src/service/runbooks/runbook-runtime.ts): probe states from the probe manager,
 * rule values from the injected reader, HTTP and SQL checks here.
 */
import type { CheckIo } from '../../service/runbooks/runbook-runtime.ts';
import type { RuleReading } from '../../service/runbooks/read-rule-value.ts';
import type { ProbeManager } from './probe-manager.ts';
import { checkHttp } from './http-check.ts';
import { checkSql } from './sql-check.ts';

export interface CheckIoOptions {
  probes: Pick<ProbeManager, 'state'>;
  /** Reads a rule's value for an incident key; null when it cannot tell. */
  ruleValue(rule: string, incidentKey: string | null, now: Date): Promise<RuleReading | null>;
  /** Database for `sql` checks that give no `url` (the first postgres probe's). */
  appDatabaseUrl?: string;
}

export function createCheckIo(opts: CheckIoOptions): CheckIo {
  return {
    probe(name) {
      const s = opts.probes.state(name);
      if (!s || s.status === 'unknown') return null;
      return s.status === 'up'
        ? { ok: true, detail: `probe ${name} up (${s.latency_ms} ms)` }
        : { ok: false, detail: `probe ${name} ${s.status}: ${s.last_error ?? 'failing'}` };
    },
    async rule(rule, key, now) {
      const r = await opts.ruleValue(rule, key, now);
      if (!r) return null;
      return { ok: !r.firing, detail: `${rule} = ${r.value} (fires at ${r.op === 'gt' ? '>' : '≥'} ${r.threshold})` };
    },
    async http(url, status, timeoutMs) {
      const r = await checkHttp(url, { timeoutMs, expectStatus: status });
      return { ok: r.ok, detail: r.ok ? `GET ${url} → ${r.status}` : `GET ${url}: ${r.error}` };
    },
    async sql(url, query, expect, timeoutMs) {
      const target = url ?? opts.appDatabaseUrl;
      if (!target) return { ok: false, detail: 'no database to query: give sql.url or configure a postgres probe' };
      return checkSql(target, query, expect, timeoutMs);
    },
  };
}
