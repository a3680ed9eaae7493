// Analytics over incidents made through the service verbs with a controlled
// clock; every figure below is computed by hand (same fixture as
// src/domain/analytics.test.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { openIncident } from '../../service/incidents/open-incident.ts';
import { acknowledgeIncident } from '../../service/incidents/acknowledge-incident.ts';
import { resolveIncident } from '../../service/incidents/resolve-incident.ts';
import type { Actor } from '../../service/core/context.ts';

const M = 60_000;
const H = 3_600_000;
const D = 86_400_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');

for (const backend of testBackends()) {
  describe(`analytics API (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date(T0);
    const at = async (ms: number) => {
      now = new Date(ms);
      await t.fb.scheduler.tick(); // records SLA breaches that are due
    };
    const alice: Actor = { id: 'token:a', name: 'alice', role: 'responder' };
    const bob: Actor = { id: 'token:b', name: 'bob', role: 'responder' };
    const rule: Actor = { id: 'rule:brute_force_attempt', name: 'rule:brute_force_attempt', role: 'system' };
    const runbook: Actor = { id: 'runbook:ddos', name: 'runbook:ddos', role: 'system' };

    before(async () => {
      t = await startTestFirebreak(backend, { create: { clock: () => now } });
      const open = async (type: string, severity: string, dedup_key?: string) =>
        (await openIncident(t.fb.deps, alice, { type, severity, title: type, ...(dedup_key ? { dedup_key } : {}) })).incident.id;
      // Before the period: not counted.
      await at(T0 - D);
      const f = await open('brute_force_attempt', 'low', 'ip:192.0.2.1');
      await resolveIncident(t.fb.deps, alice, f);
      // A: high, TTA 5m, TTR 30m, resolved by a rule.
      await at(T0);
      const a = await open('brute_force_attempt', 'high', 'ip:203.0.113.5');
      await at(T0 + 5 * M);
      await acknowledgeIncident(t.fb.deps, alice, a);
      await at(T0 + 30 * M);
      await resolveIncident(t.fb.deps, rule, a);
      // B: same address a day later, acknowledged after the 1 h deadline (breach): TTA 90m, TTR 120m, by alice.
      await at(T0 + D);
      const b = await open('brute_force_attempt', 'high', 'ip:203.0.113.5');
      await at(T0 + D + 61 * M);
      await at(T0 + D + 90 * M);
      await acknowledgeIncident(t.fb.deps, alice, b);
      await at(T0 + D + 120 * M);
      await resolveIncident(t.fb.deps, alice, b);
      // C: TTA 1m, TTR 11m, resolved by a runbook.
      await at(T0 + 2 * D);
      const c = await open('ddos', 'high', 'ip:198.51.100.7');
      await at(T0 + 2 * D + M);
      await acknowledgeIncident(t.fb.deps, alice, c);
      await at(T0 + 2 * D + 11 * M);
      await resolveIncident(t.fb.deps, runbook, c);
      // D: critical, breached (15 min), TTA 20m, TTR 60m, by bob.
      await at(T0 + 7 * D);
      const d = await open('high_error_rate', 'critical', 'global');
      await at(T0 + 7 * D + 16 * M);
      await at(T0 + 7 * D + 20 * M);
      await acknowledgeIncident(t.fb.deps, bob, d);
      await at(T0 + 7 * D + 60 * M);
      await resolveIncident(t.fb.deps, bob, d);
      // E: critical, never acknowledged (breached), still open.
      await at(T0 + 8 * D);
      await open('data_corruption', 'critical');
      await at(T0 + 8 * D + 16 * M);
    });
    after(() => t.close());

    const period = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 30 * D).toISOString()}`;

    test('totals: counts, MTTA/MTTR mean p50 p90, SLA breach rate, automated share', async () => {
      const r = await t.call('GET', `/api/v1/analytics?${period}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.group_by, 'type');
      // TTA 300, 5400, 60, 1200 s → mean 1740, nearest-rank p50 = 300, p90 = 5400.
      // TTR 1800, 7200, 660, 3600 s → mean 3315, p50 = 1800, p90 = 7200.
      assert.deepEqual(r.body.totals, {
        incidents: 5,
        open: 1,
        acknowledged: 4,
        resolved: 4,
        mtta: { n: 4, mean_s: 1740, p50_s: 300, p90_s: 5400 },
        mttr: { n: 4, mean_s: 3315, p50_s: 1800, p90_s: 7200 },
        sla_breaches: 3,
        sla_breach_rate: 0.6,
        automated_resolutions: 2,
        human_resolutions: 2,
        automated_share: 0.5,
      });
      assert.deepEqual(
        r.body.groups.map((g: { key: string; incidents: number }) => [g.key, g.incidents]),
        [
          ['brute_force_attempt', 2],
          ['data_corruption', 1],
          ['ddos', 1],
          ['high_error_rate', 1],
        ],
      );
      assert.deepEqual(
        r.body.top_addresses.slice(0, 2).map((o: { address: string; incidents: number }) => [o.address, o.incidents]),
        [
          ['203.0.113.5', 2],
          ['198.51.100.7', 1],
        ],
      );
      assert.equal(r.body.decisions_counted, true, 'the decisions table exists in this schema');
    });

    test('ban decisions count toward top offending addresses', async (ctx) => {
      const d = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '192.0.2.99', type: 'ban', duration: '1h' });
      if (d.status === 404 && /no route/.test(d.body?.error?.message ?? ''))
        return ctx.skip('the decisions API is not wired in this build');
      assert.equal(d.status, 201, JSON.stringify(d.body));
      const r = await t.call('GET', `/api/v1/analytics?${period}`);
      assert.deepEqual(
        r.body.top_addresses.find((o: { address: string }) => o.address === '192.0.2.99'),
        { address: '192.0.2.99', incidents: 0, decisions: 1 },
      );
    });

    test('group by severity and by ISO week', async () => {
      const sev = (await t.call('GET', `/api/v1/analytics?${period}&group_by=severity`)).body;
      assert.deepEqual(
        sev.groups.map((g: { key: string; incidents: number }) => [g.key, g.incidents]),
        [
          ['critical', 2],
          ['high', 3],
        ],
      );
      assert.deepEqual(sev.groups[1].mtta, { n: 3, mean_s: 1920, p50_s: 300, p90_s: 5400 });
      assert.equal(sev.groups[0].sla_breach_rate, 1);
      const week = (await t.call('GET', `/api/v1/analytics?${period}&group_by=week`)).body;
      assert.deepEqual(
        week.groups.map((g: { key: string; incidents: number }) => [g.key, g.incidents]),
        [
          ['2026-W10', 3],
          ['2026-W11', 2],
        ],
      );
    });

    test('since= counts back from now; bad queries are refused', async () => {
      now = new Date(T0 + 8 * D + H);
      const r = await t.call('GET', '/api/v1/analytics?since=2d');
      assert.equal(r.body.totals.incidents, 2, 'D and E were detected in the last two days');
      assert.equal(r.body.to, now.toISOString());
      for (const qs of [
        'group_by=month',
        'from=yesterday',
        `from=${new Date(T0).toISOString()}&since=1d`,
        `from=${new Date(T0 + D).toISOString()}&to=${new Date(T0).toISOString()}`,
        'since=forever',
        'extra=1',
      ]) {
        const bad = await t.call('GET', `/api/v1/analytics?${qs}`);
        assert.equal(bad.status, 400, qs);
      }
      const viewer = await t.makeToken('viewer', 'v');
      assert.equal((await t.call('GET', '/api/v1/analytics', undefined, viewer)).status, 200);
    });
  });
}
