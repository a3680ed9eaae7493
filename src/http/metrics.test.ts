import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startTestFirebreak, type TestFirebreak } from '../test-harness.ts';

type Family = {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
};

describe('GET /metrics', () => {
  let t: TestFirebreak;
  before(async () => {
    t = await startTestFirebreak('embedded');
  });
  after(() => t.close());

  async function scrape(): Promise<Map<string, Family>> {
    const res = await t.fb.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    const fams = parsePrometheusTextFormat(res.body) as Family[];
    return new Map(fams.map((f) => [f.name, f]));
  }
  const value = (m: Map<string, Family>, name: string, labels: Record<string, string>) =>
    Number(m.get(name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))?.value ?? 0);

  test('parses as Prometheus text and its counters move with events, detections and incidents', async () => {
    const m0 = await scrape();
    for (const name of [
      'firebreak_decisions_active',
      'firebreak_notifications_total',
      'firebreak_probe_up',
      'firebreak_events_ingested_total',
      'firebreak_detections_total',
      'firebreak_incidents',
      'firebreak_http_request_duration_seconds',
      'firebreak_incident_acknowledge_seconds',
    ]) {
      assert.ok(m0.has(name), `missing ${name}`);
    }
    assert.equal(m0.get('firebreak_incidents')!.type, 'GAUGE');
    const ingest = await t.makeToken('ingest');
    const evs = [0, 1, 2, 3, 4].map((s) => ({ type: 'auth.login_failed', ts: `2026-03-02T08:00:0${s}Z`, ip: '203.0.113.9' }));
    await t.call('POST', '/api/v1/events', [...evs, { type: 'auth.login_failed', ts: 'nope' }], ingest);
    await t.fb.pipeline.drain();
    const list = await t.call('GET', '/api/v1/incidents');
    await t.call('POST', `/api/v1/incidents/${list.body.items[0].id}/acknowledge`);
    await new Promise((r) => setTimeout(r, 20));
    const m1 = await scrape();
    assert.equal(value(m1, 'firebreak_events_ingested_total', { type: 'auth.login_failed' }), 5);
    assert.equal(value(m1, 'firebreak_events_rejected_total', { type: 'auth.login_failed' }), 1);
    assert.equal(value(m1, 'firebreak_detections_total', { rule: 'brute_force_attempt' }), 1);
    assert.equal(value(m1, 'firebreak_incidents', { status: 'acknowledged', severity: 'high' }), 1);
    assert.equal(value(m1, 'firebreak_decisions_active', { type: 'ban' }), 1, 'the brute force ban');
    assert.equal(Number(m1.get('firebreak_incident_acknowledge_seconds')!.metrics[0]!.buckets!['+Inf']), 1);
    assert.ok(m1.get('firebreak_http_request_duration_seconds'));
    // The parser drops histogram labels; check the labelled series in the text itself.
    const text = (await t.fb.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /^firebreak_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/events",status="202"\} 1$/m);
  });
});

describe('bounded /metrics labels and the optional token', () => {
  let t: TestFirebreak;
  before(async () => {
    t = await startTestFirebreak('embedded', {
      configYaml: { metrics: { require_token: true, event_types: ['app.checkout'] }, events: { store: 'none' } },
    });
  });
  after(() => t.close());

  test('5,000 unique event types: counted as other, the scrape stays small', async () => {
    const ingest = await t.makeToken('ingest');
    const evs = Array.from({ length: 5000 }, (_, i) => ({ type: `junk.${i}`, ts: '2026-03-02T08:00:00Z' }));
    evs.push({ type: 'app.checkout', ts: '2026-03-02T08:00:00Z' }, { type: 'auth.login_failed', ts: '2026-03-02T08:00:00Z' });
    assert.equal((await t.call('POST', '/api/v1/events', evs, ingest)).status, 202);
    await t.call('POST', '/api/v1/events', [{ type: 'junk.bad', ts: 'never' }], ingest);
    await t.fb.pipeline.drain();
    const res = await t.fb.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${await t.makeToken('viewer')}` },
    });
    assert.equal(res.statusCode, 200);
    const fams = new Map((parsePrometheusTextFormat(res.body) as Family[]).map((f) => [f.name, f]));
    const ingested = fams.get('firebreak_events_ingested_total')!.metrics;
    const byType = Object.fromEntries(ingested.map((m) => [m.labels!.type, Number(m.value)]));
    assert.deepEqual(byType, { other: 5000, 'app.checkout': 1, 'auth.login_failed': 1 });
    const rejected = fams.get('firebreak_events_rejected_total')!.metrics;
    assert.deepEqual(
      rejected.map((m) => [m.labels!.type, m.value]),
      [['other', '1']],
    );
    assert.doesNotMatch(res.body, /junk\.\d/);
    assert.equal(t.fb.pipeline.stats().byType.size, 3, 'the counters themselves are bounded');
  });

  test('metrics.require_token: /metrics and /api/health/detailed need a token that may read', async () => {
    for (const url of ['/metrics', '/api/health/detailed']) {
      assert.equal((await t.fb.app.inject({ method: 'GET', url })).statusCode, 401, url);
      const ingest = await t.makeToken('ingest');
      const r = await t.fb.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ingest}` } });
      assert.equal(r.statusCode, 403, `${url}: an ingest token may not read`);
      const ok = await t.fb.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await t.makeToken('viewer')}` } });
      assert.equal(ok.statusCode, 200, url);
    }
    assert.equal((await t.fb.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness stays open');
  });
});
