import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeAnalytics,
  durationStats,
  isAutomatedResolver,
  isoWeek,
  percentileNearestRank,
  topOffenders,
  type AnalyticsIncident,
} from './analytics.ts';

test('percentileNearestRank: rank ⌈p/100·n⌉, always an observed value', () => {
  const cases: [number[], number, number | null][] = [
    [[], 50, null],
    [[5], 50, 5],
    [[5], 90, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 91, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 1],
    // the textbook example: 15, 20, 35, 40, 50
    [[15, 20, 35, 40, 50], 5, 15],
    [[15, 20, 35, 40, 50], 30, 20],
    [[15, 20, 35, 40, 50], 40, 20],
    [[15, 20, 35, 40, 50], 50, 35],
    [[15, 20, 35, 40, 50], 100, 50],
  ];
  for (const [values, p, want] of cases) assert.equal(percentileNearestRank(values, p), want, `p${p} of [${values}]`);
});

test('durationStats: mean and percentiles in seconds, unsorted input', () => {
  assert.deepEqual(durationStats([]), { n: 0, mean_s: null, p50_s: null, p90_s: null });
  assert.deepEqual(durationStats([5_400_000, 60_000, 1_200_000, 300_000]), { n: 4, mean_s: 1740, p50_s: 300, p90_s: 5400 });
  assert.deepEqual(durationStats([1000, 2000, 2500]), { n: 3, mean_s: 1.833, p50_s: 2, p90_s: 2.5 });
});

test('isAutomatedResolver', () => {
  const cases: [string | null, boolean][] = [
    ['rule:brute_force_attempt', true],
    ['runbook:ddos', true],
    ['integration:alertmanager', true],
    ['system', true],
    ['alice', false],
    ['systems-team', false],
    ['local-cli', false],
    [null, false],
  ];
  for (const [who, want] of cases) assert.equal(isAutomatedResolver(who), want, String(who));
});

test('isoWeek: Monday weeks, week 1 holds the first Thursday', () => {
  const cases: [string, string][] = [
    ['2026-03-02T00:00:00Z', '2026-W10'],
    ['2026-03-08T23:59:59Z', '2026-W10'],
    ['2026-03-09T00:00:00Z', '2026-W11'],
    ['2026-01-01T12:00:00Z', '2026-W01'],
    ['2025-12-29T00:00:00Z', '2026-W01'],
    ['2025-12-28T23:59:59Z', '2025-W52'],
    ['2021-01-03T00:00:00Z', '2020-W53'],
  ];
  for (const [at, want] of cases) assert.equal(isoWeek(Date.parse(at)), want, at);
});

const T0 = Date.parse('2026-03-02T00:00:00Z');
const M = 60_000;
const D = 86_400_000;
const inc = (o: Partial<AnalyticsIncident> & Pick<AnalyticsIncident, 'type' | 'severity' | 'detectedAtMs'>): AnalyticsIncident => ({
  dedup_key: null,
  acknowledgedAtMs: null,
  resolvedAtMs: null,
  resolved_by: null,
  sla_breached: false,
  ...o,
});

// Figures below are computed by hand from these six incidents.
const FIXTURE: AnalyticsIncident[] = [
  inc({
    type: 'brute_force_attempt',
    severity: 'high',
    dedup_key: 'ip:203.0.113.5',
    detectedAtMs: T0,
    acknowledgedAtMs: T0 + 5 * M,
    resolvedAtMs: T0 + 30 * M,
    resolved_by: 'rule:brute_force_attempt',
  }),
  inc({
    type: 'brute_force_attempt',
    severity: 'high',
    dedup_key: 'ip:203.0.113.5',
    detectedAtMs: T0 + D,
    acknowledgedAtMs: T0 + D + 90 * M,
    resolvedAtMs: T0 + D + 120 * M,
    resolved_by: 'alice',
    sla_breached: true,
  }),
  inc({
    type: 'ddos',
    severity: 'high',
    dedup_key: 'ip:198.51.100.7',
    detectedAtMs: T0 + 2 * D,
    acknowledgedAtMs: T0 + 2 * D + M,
    resolvedAtMs: T0 + 2 * D + 11 * M,
    resolved_by: 'runbook:ddos',
  }),
  inc({
    type: 'high_error_rate',
    severity: 'critical',
    dedup_key: 'global',
    detectedAtMs: T0 + 7 * D,
    acknowledgedAtMs: T0 + 7 * D + 20 * M,
    resolvedAtMs: T0 + 7 * D + 60 * M,
    resolved_by: 'bob',
    sla_breached: true,
  }),
  inc({ type: 'data_corruption', severity: 'critical', detectedAtMs: T0 + 8 * D, sla_breached: true }),
  // detected before the period: ignored everywhere
  inc({
    type: 'brute_force_attempt',
    severity: 'low',
    dedup_key: 'ip:192.0.2.1',
    detectedAtMs: T0 - D,
    acknowledgedAtMs: T0 - D + M,
    resolvedAtMs: T0 - D + 2 * M,
    resolved_by: 'carol',
    sla_breached: true,
  }),
];
const PERIOD = { fromMs: T0, toMs: T0 + 30 * D };

test('computeAnalytics: totals over a fixed set, by hand', () => {
  const r = computeAnalytics(FIXTURE, { ...PERIOD, groupBy: 'type' });
  assert.equal(r.from, '2026-03-02T00:00:00.000Z');
  assert.equal(r.to, '2026-04-01T00:00:00.000Z');
  // TTA: 300, 5400, 60, 1200 s → mean 6960/4 = 1740; sorted 60,300,1200,5400: p50 = rank 2 = 300, p90 = rank 4 = 5400.
  // TTR: 1800, 7200, 660, 3600 s → mean 13260/4 = 3315; sorted 660,1800,3600,7200: p50 = 1800, p90 = 7200.
  assert.deepEqual(r.totals, {
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
});

test('computeAnalytics: groups by type, severity and ISO week', () => {
  const keys = (by: 'type' | 'severity' | 'week') =>
    computeAnalytics(FIXTURE, { ...PERIOD, groupBy: by }).groups.map((g) => [g.key, g.incidents]);
  assert.deepEqual(keys('type'), [
    ['brute_force_attempt', 2],
    ['data_corruption', 1],
    ['ddos', 1],
    ['high_error_rate', 1],
  ]);
  assert.deepEqual(keys('severity'), [
    ['critical', 2],
    ['high', 3],
  ]);
  assert.deepEqual(keys('week'), [
    ['2026-W10', 3],
    ['2026-W11', 2],
  ]);

  const bySev = computeAnalytics(FIXTURE, { ...PERIOD, groupBy: 'severity' }).groups;
  const critical = bySev[0]!;
  // critical: D (TTA 1200 s, TTR 3600 s, human, breached) and E (open, breached)
  assert.deepEqual(critical.mtta, { n: 1, mean_s: 1200, p50_s: 1200, p90_s: 1200 });
  assert.deepEqual(critical.mttr, { n: 1, mean_s: 3600, p50_s: 3600, p90_s: 3600 });
  assert.equal(critical.sla_breach_rate, 1);
  assert.equal(critical.automated_share, 0);
  const high = bySev[1]!;
  // high: A, B, C → TTA 300, 5400, 60 → mean 1920, p50 rank 2 = 300, p90 rank 3 = 5400
  assert.deepEqual(high.mtta, { n: 3, mean_s: 1920, p50_s: 300, p90_s: 5400 });
  // TTR 1800, 7200, 660 → mean 3220, p50 1800, p90 7200
  assert.deepEqual(high.mttr, { n: 3, mean_s: 3220, p50_s: 1800, p90_s: 7200 });
  assert.equal(high.sla_breach_rate, 1 / 3);
  assert.equal(high.automated_share, 2 / 3);
});

test('computeAnalytics: an empty period has nulls, not zeros or NaN', () => {
  const r = computeAnalytics(FIXTURE, { fromMs: T0 + 100 * D, toMs: T0 + 101 * D, groupBy: 'week' });
  assert.equal(r.totals.incidents, 0);
  assert.equal(r.totals.mtta.mean_s, null);
  assert.equal(r.totals.sla_breach_rate, null);
  assert.equal(r.totals.automated_share, null);
  assert.deepEqual(r.groups, []);
  assert.deepEqual(r.top_addresses, []);
});

test('topOffenders: dedup keys ip:* plus decisions, ties by incidents then address', () => {
  const inPeriod = FIXTURE.filter((i) => i.detectedAtMs >= T0);
  assert.deepEqual(topOffenders(inPeriod, new Map()), [
    { address: '203.0.113.5', incidents: 2, decisions: 0 },
    { address: '198.51.100.7', incidents: 1, decisions: 0 },
  ]);
  const decisions = new Map([
    ['203.0.113.5', 3],
    ['192.0.2.99', 5],
    ['198.51.100.7', 0],
  ]);
  assert.deepEqual(topOffenders(inPeriod, decisions), [
    { address: '203.0.113.5', incidents: 2, decisions: 3 },
    { address: '192.0.2.99', incidents: 0, decisions: 5 },
    { address: '198.51.100.7', incidents: 1, decisions: 0 },
  ]);
  assert.equal(topOffenders(inPeriod, decisions, 1).length, 1);
});
