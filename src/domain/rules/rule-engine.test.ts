import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Detection, FbEvent } from '../event.ts';
import { RuleEngine } from './rule-engine.ts';
import { resolveRules } from './default-rules.ts';
import type { RuleOverrideInput, RuleSpec } from './rule-spec.ts';

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0) * 1000 + 218_229; // microseconds, with a fraction

function rulesWith(overrides: Record<string, RuleOverrideInput> = {}, only?: string): RuleSpec[] {
  const all = resolveRules(overrides);
  return only ? all.filter((r) => r.name === only) : all;
}

function run(rules: RuleSpec[], events: FbEvent[]): { d: Detection; index: number }[] {
  const engine = new RuleEngine(rules);
  const out: { d: Detection; index: number }[] = [];
  events.forEach((ev, index) => {
    for (const d of engine.process(ev)) out.push({ d, index });
  });
  return out;
}

/**
 * One scenario per default rule: `ev(t, i)` makes the i-th counted event of
 * one key at time t (distinct rules get a new IP each time; the percentile
 * rule gets a slow request), `n` is how many events reach the threshold.
 */
interface Scenario {
  rule: string;
  n: number;
  key: string;
  ev: (t: number, i: number) => FbEvent;
  value: (n: number) => number;
}
const scenarios: Scenario[] = [
  {
    rule: 'brute_force_attempt',
    n: 5,
    key: 'ip:203.0.113.5',
    ev: (t) => ({ type: 'auth.login_failed', tsUs: t, ip: '203.0.113.5', user_id: 'root' }),
    value: (n) => n,
  },
  {
    rule: 'account_compromise',
    n: 3,
    key: 'user:alice',
    ev: (t, i) => ({ type: 'auth.login_succeeded', tsUs: t, ip: `198.51.100.${i + 1}`, user_id: 'alice' }),
    value: (n) => n,
  },
  {
    rule: 'ddos',
    n: 600,
    key: 'ip:2001:db8::7',
    ev: (t) => ({ type: 'http.request', tsUs: t, ip: '2001:db8::7', status: 200, latency_ms: 5 }),
    value: (n) => n,
  },
  {
    rule: 'high_error_rate',
    n: 11,
    key: 'global',
    ev: (t, i) => (i % 2 ? { type: 'app.error', tsUs: t } : { type: 'http.request', tsUs: t, ip: '192.0.2.1', status: 503 }),
    value: (n) => n,
  },
  {
    rule: 'performance_degradation',
    n: 20,
    key: 'global',
    ev: (t, i) => ({ type: 'http.request', tsUs: t, ip: `192.0.2.${i % 200}`, status: 200, latency_ms: 2500 + i }),
    value: () => 2500 + 19 - 1,
  },
  { rule: 'database_connection_failure', n: 5, key: 'global', ev: (t) => ({ type: 'db.connection_error', tsUs: t }), value: (n) => n },
  { rule: 'data_corruption', n: 1, key: 'global', ev: (t) => ({ type: 'data.integrity_error', tsUs: t }), value: (n) => n },
];

for (const s of scenarios) {
  const spec = rulesWith({}, s.rule)[0]!;
  const W = spec.windowUs;
  const C = spec.cooldownUs;
  const series = (count: number, at: (i: number) => number, from = 0) => Array.from({ length: count }, (_, k) => s.ev(at(k), from + k));

  test(`${s.rule}: one event short of the threshold does not fire`, () => {
    if (s.n === 1) return; // threshold 1: nothing is "one short"
    assert.deepEqual(
      run(
        [spec],
        series(s.n - 1, (i) => T0 + i),
      ),
      [],
    );
  });

  test(`${s.rule}: fires at exactly the threshold, with the event's time and the window value`, () => {
    const got = run(
      [spec],
      series(s.n, (i) => T0 + i),
    );
    assert.equal(got.length, 1);
    assert.equal(got[0]!.index, s.n - 1);
    const { contributors, ...d } = got[0]!.d;
    assert.deepEqual(d, { rule: s.rule, key: s.key, atUs: T0 + s.n - 1, value: s.value(s.n) });
    if (spec.value.kind === 'distinct') assert.equal(contributors?.length, s.value(s.n), 'the distinct values that made it fire');
    else assert.equal(contributors, undefined);
  });

  test(`${s.rule}: an event exactly one window earlier is out, one microsecond later is in`, () => {
    if (s.n === 1) return;
    const rest = (first: number) => [s.ev(first, 0), ...series(s.n - 1, () => T0 + W, 1)];
    assert.deepEqual(run([spec], rest(T0)), [], 'first event at t - window is outside');
    const got = run([spec], rest(T0 + 1));
    assert.equal(got.length, 1, 'first event at t - window + 1µs is inside');
    assert.equal(got[0]!.d.atUs, T0 + W);
  });

  test(`${s.rule}: quiet for the cooldown after firing, then counts from empty`, () => {
    const first = series(s.n, (i) => T0 + i);
    const tf = T0 + s.n - 1;
    // Ignored: one µs before the cooldown ends. If it were counted the rule would fire one event early.
    const ignored = s.ev(tf + C - 1, s.n);
    const after = series(s.n, () => tf + C, s.n + 1);
    const got = run([spec], [...first, ignored, ...after]);
    assert.equal(got.length, 2);
    assert.equal(got[1]!.index, s.n + 1 + s.n - 1, 'second firing needs a full threshold after the cooldown');
    assert.equal(got[1]!.d.atUs, tf + C);
  });
}

test('defaults: cooldowns are the ban for rules that ban, else the window', () => {
  const byName = new Map(rulesWith().map((r) => [r.name, r]));
  assert.equal(byName.get('brute_force_attempt')!.cooldownUs, 3_600_000_000);
  assert.equal(byName.get('ddos')!.cooldownUs, 600_000_000);
  assert.equal(byName.get('account_compromise')!.cooldownUs, 3_600_000_000);
  assert.equal(byName.get('high_error_rate')!.cooldownUs, 60_000_000);
});

test('the window is cleared at a firing even with no cooldown', () => {
  const spec = rulesWith({ brute_force_attempt: { cooldown: 0 } }, 'brute_force_attempt');
  const ev = (i: number): FbEvent => ({ type: 'auth.login_failed', tsUs: T0 + i, ip: '192.0.2.9' });
  const got = run(
    spec,
    Array.from({ length: 12 }, (_, i) => ev(i)),
  );
  assert.deepEqual(
    got.map((g) => g.index),
    [4, 9],
  );
});

test('keys are independent; events without the key field do not count', () => {
  const spec = rulesWith({}, 'brute_force_attempt');
  const events: FbEvent[] = [];
  for (let i = 0; i < 4; i++) {
    events.push({ type: 'auth.login_failed', tsUs: T0 + i, ip: '192.0.2.1' });
    events.push({ type: 'auth.login_failed', tsUs: T0 + i, ip: '2001:db8::1' });
    events.push({ type: 'auth.login_failed', tsUs: T0 + i, user_id: 'root' });
  }
  assert.deepEqual(run(spec, events), []);
  const got = run(spec, [...events, { type: 'auth.login_failed', tsUs: T0 + 9, ip: '2001:db8::1' }]);
  assert.deepEqual(
    got.map((g) => g.d.key),
    ['ip:2001:db8::1'],
  );
});

test('account_compromise counts distinct IPs, IPv6 included', () => {
  const spec = rulesWith({}, 'account_compromise');
  const login = (t: number, ip: string): FbEvent => ({ type: 'auth.login_succeeded', tsUs: t, ip, user_id: 'bob' });
  const same = [login(T0, '2001:db8::1'), login(T0 + 1, '2001:db8::1'), login(T0 + 2, '192.0.2.1'), login(T0 + 3, '192.0.2.1')];
  assert.deepEqual(run(spec, same), []);
  const got = run(spec, [...same, login(T0 + 4, '2001:db8::2')]);
  assert.deepEqual(
    got.map((g) => [g.d.key, g.d.value]),
    [['user:bob', 3]],
  );
  // The repeated IP leaving the window keeps the other occurrence: still distinct.
  const spread = [
    login(T0, '192.0.2.1'),
    login(T0 + 10, '192.0.2.1'),
    login(T0 + 3_600_000_000, '192.0.2.2'),
    login(T0 + 3_600_000_001, '192.0.2.3'),
  ];
  assert.equal(run(spec, spread).length, 1, 'the second 192.0.2.1 is still inside when the first one left');
});

test('high_error_rate counts only status >= 500 among requests', () => {
  const spec = rulesWith({}, 'high_error_rate');
  const req = (i: number, status: number): FbEvent => ({ type: 'http.request', tsUs: T0 + i, ip: '192.0.2.1', status });
  const tenErrors = Array.from({ length: 10 }, (_, i) => req(i, 500 + (i % 100)));
  const noise = [req(20, 499), req(21, 404), { type: 'http.request', tsUs: T0 + 22 } as FbEvent];
  assert.deepEqual(run(spec, [...tenErrors, ...noise]), []);
  assert.equal(run(spec, [...tenErrors, ...noise, { type: 'app.error', tsUs: T0 + 30 }]).length, 1);
});

test('performance_degradation: nearest-rank p95 above 2000 ms, at least 20 samples', () => {
  const spec = rulesWith({}, 'performance_degradation');
  const req = (i: number, latency: number | undefined): FbEvent => ({
    type: 'http.request',
    tsUs: T0 + i,
    ip: '192.0.2.1',
    status: 200,
    latency_ms: latency,
  });
  const cases: { name: string; lat: (number | undefined)[]; fireAt: number | null; value?: number }[] = [
    { name: '19 slow samples: too few', lat: Array(19).fill(5000), fireAt: null },
    { name: '19 slow + 1 without latency: still too few', lat: [...Array(19).fill(5000), undefined], fireAt: null },
    { name: '20 slow samples', lat: Array(20).fill(5000), fireAt: 19, value: 5000 },
    { name: '18 fast + 2 slow: rank 19 is slow', lat: [...Array(18).fill(100), 3000, 4000], fireAt: 19, value: 3000 },
    { name: '19 fast + 1 slow: rank 19 is fast', lat: [...Array(19).fill(100), 9000], fireAt: null },
    { name: 'exactly 2000 is not above', lat: Array(20).fill(2000), fireAt: null },
    { name: '2000.001 is above', lat: Array(20).fill(2000.001), fireAt: 19, value: 2000.001 },
    { name: '40 samples, 2 slow last: rank 38 is fast', lat: [...Array(38).fill(10), 9000, 9000], fireAt: null },
    { name: '2 slow among the first 20 fire at once', lat: [9000, 9000, ...Array(18).fill(10)], fireAt: 19, value: 9000 },
    { name: '30 samples: rank is ceil(28.5) = 29, not 28', lat: [...Array(28).fill(10), 2500, 2600], fireAt: 29, value: 2500 },
    { name: '39 samples, 2 slow last: rank 38 is slow', lat: [...Array(37).fill(10), 2500, 2600], fireAt: 38, value: 2500 },
  ];
  for (const c of cases) {
    const got = run(
      spec,
      c.lat.map((l, i) => req(i, l)),
    );
    assert.deepEqual(
      got.map((g) => g.index),
      c.fireAt === null ? [] : [c.fireAt],
      c.name,
    );
    if (c.value !== undefined) assert.equal(got[0]!.d.value, c.value, c.name);
  }
});

test('percentile samples leave the window: fast samples expire, slow ones stay', () => {
  const spec = rulesWith({}, 'performance_degradation');
  const W = spec[0]!.windowUs;
  const req = (t: number, latency: number): FbEvent => ({ type: 'http.request', tsUs: t, latency_ms: latency });
  // 19 fast at T0, then at T0 + W those are out: 20 slow later fire only when 20 slow are inside.
  const events = [...Array.from({ length: 19 }, () => req(T0, 10)), ...Array.from({ length: 20 }, (_, i) => req(T0 + W + i, 3000))];
  const got = run(spec, events);
  assert.deepEqual(
    got.map((g) => g.index),
    [38],
  );
});

test('out-of-order events are placed at their time; too old ones do not count', () => {
  const spec = rulesWith({}, 'brute_force_attempt');
  const W = spec[0]!.windowUs;
  const ev = (t: number): FbEvent => ({ type: 'auth.login_failed', tsUs: t, ip: '192.0.2.1' });
  assert.deepEqual(run(spec, [ev(T0 + W), ev(T0), ev(T0 + W), ev(T0 + W), ev(T0 + W)]), [], 'T0 is outside the window at T0 + W');
  assert.deepEqual(
    run(spec, [ev(T0 + 10), ev(T0 + 5), ev(T0 + 20), ev(T0 + 6), ev(T0 + 7)]).map((g) => g.index),
    [4],
    'late events inside the window count',
  );
  // Sorted eviction: at T0+W+5 only T0+5 leaves (not T0+10, the first to arrive), at T0+W+6 T0+6 leaves.
  const got = run(spec, [ev(T0 + 10), ev(T0 + 5), ev(T0 + 20), ev(T0 + 6), ev(T0 + W + 5), ev(T0 + W + 6), ev(T0 + W + 9)]);
  assert.deepEqual(
    got.map((g) => [g.index, g.d.atUs]),
    [[6, T0 + W + 9]],
  );
});

test('custom where-filters and route keys', () => {
  const spec = rulesWith(
    {
      slow_login: {
        match: [
          {
            type: 'http.request',
            where: [
              { field: 'route', op: 'eq', value: '/login' },
              { field: 'status', op: 'eq', value: '401' },
            ],
          },
        ],
        key: 'route',
        value: { kind: 'count' },
        threshold: 2,
        window: 1000,
      },
    },
    'slow_login',
  );
  const req = (i: number, route: string, status: number): FbEvent => ({ type: 'http.request', tsUs: T0 + i, route, status });
  const got = run(spec, [req(0, '/login', 401), req(1, '/login', 200), req(2, '/other', 401), req(3, '/login', 401)]);
  assert.deepEqual(
    got.map((g) => [g.index, g.d.key]),
    [[3, 'route:/login']],
  );
});

// Memory and the key cap: key-cap.test.ts.

test('events of unknown types and the frozen empty result', () => {
  const engine = new RuleEngine(rulesWith());
  const r = engine.process({ type: 'something.else', tsUs: T0 });
  assert.equal(r.length, 0);
  assert.ok(Object.isFrozen(r));
});

/** The semantics of docs/design.md written the slow, obvious way: the reference the engine must agree with. */
function naive(rules: RuleSpec[], events: FbEvent[]): Detection[] {
  const state = new Map<string, { evs: FbEvent[]; quiet: number }>();
  const out: Detection[] = [];
  for (const ev of events) {
    for (const r of rules) {
      const ok = r.match.some(
        (m) =>
          m.type === ev.type &&
          (m.where ?? []).every((w) => w.op === 'gte' && Number((ev as unknown as Record<string, unknown>)[w.field]) >= Number(w.value)),
      );
      if (!ok) continue;
      const kv = r.key === 'global' ? '' : r.key === 'ip' ? ev.ip : r.key === 'user_id' ? ev.user_id : ev.route;
      if (kv === undefined) continue;
      if (r.value.kind !== 'count' && (ev as unknown as Record<string, unknown>)[r.value.field] === undefined) continue;
      const key = r.key === 'global' ? 'global' : `${r.key === 'user_id' ? 'user' : r.key}:${kv}`;
      const s = state.get(r.name + key) ?? { evs: [], quiet: -Infinity };
      state.set(r.name + key, s);
      if (ev.tsUs < s.quiet) continue;
      s.evs = [...s.evs.filter((e) => ev.tsUs - r.windowUs < e.tsUs && e.tsUs <= ev.tsUs), ev];
      let value = s.evs.length;
      let fire = value >= r.threshold;
      if (r.value.kind === 'distinct') {
        const f = r.value.field;
        value = new Set(s.evs.map((e) => (e as unknown as Record<string, unknown>)[f])).size;
        fire = value >= r.threshold;
      } else if (r.value.kind === 'percentile') {
        const f = r.value.field;
        const xs = s.evs.map((e) => (e as unknown as Record<string, number>)[f]!).sort((a, b) => a - b);
        value = xs[Math.ceil((r.value.p / 100) * xs.length) - 1]!;
        fire = xs.length >= r.value.min_samples && value > r.threshold;
      }
      if (fire) {
        // Distinct rules also name the values in the window (sorted here and in the comparison: the engine keeps no order).
        if (r.value.kind === 'distinct') {
          const f = r.value.field;
          const contributors = [...new Set(s.evs.map((e) => String((e as unknown as Record<string, unknown>)[f])))].sort();
          out.push({ rule: r.name, key, atUs: ev.tsUs, value, contributors });
        } else out.push({ rule: r.name, key, atUs: ev.tsUs, value });
        s.evs = [];
        s.quiet = ev.tsUs + r.cooldownUs;
      }
    }
  }
  return out;
}

test('randomized streams: the engine agrees with the obvious implementation', () => {
  let seed = 7;
  const rnd = () => {
    // mulberry32: deterministic and well spread
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  // Small windows and thresholds so that boundaries, cooldowns and evictions happen a lot.
  const rules = resolveRules({
    brute_force_attempt: { threshold: 3, window: 40, ban: 70 },
    account_compromise: { threshold: 2, window: 50 },
    ddos: { threshold: 4, window: 30, ban: 20 },
    high_error_rate: { threshold: 3, window: 25 },
    performance_degradation: { window: 60, min_samples: 4, threshold: 500 },
  });
  for (let round = 0; round < 21; round++) {
    // The last round spreads over 20,000 addresses: key tables sweep and windows are reused.
    const [n, spread] = round < 20 ? [3000, 12] : [60_000, 20_000];
    const events: FbEvent[] = [];
    let t = T0;
    for (let i = 0; i < n; i++) {
      t += Math.floor(rnd() * 4000); // 0..4 ms: many equal timestamps and exact boundaries
      const ip =
        rnd() < 0.3
          ? `2001:db8::${Math.floor((rnd() * spread) / 2)}`
          : `10.0.${Math.floor((rnd() * spread) / 256)}.${Math.floor(rnd() * 256)}`;
      const x = rnd();
      if (x < 0.4) events.push({ type: 'auth.login_failed', tsUs: t, ip });
      else if (x < 0.55) events.push({ type: 'auth.login_succeeded', tsUs: t, ip, user_id: `u${Math.floor(rnd() * 4)}` });
      else events.push({ type: 'http.request', tsUs: t, ip, status: rnd() < 0.2 ? 503 : 200, latency_ms: Math.floor(rnd() * 1000) });
    }
    const engine = new RuleEngine(rules, { maxKeysPerRule: 1_000_000 });
    const got = events.flatMap((ev) => engine.process(ev));
    const sorted = got.map((d) => (d.contributors ? { ...d, contributors: [...d.contributors].sort() } : d));
    assert.deepEqual(sorted, naive(rules, events), `round ${round}`);
    if (round === 20) assert.ok(engine.stats().evictedKeys > 10_000, JSON.stringify(engine.stats()));
    assert.ok(got.length > 50, `round ${round} fired ${got.length} times`);
  }
});
