// Rule checks: the rule's value for the incident's key over its window of
// stored events, with the rule's own match conditions; and a runbook whose
// only check is a rule check gets mitigated once the value stays below the
// threshold for `below_for` (a fake clock drives windows and timers).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { resolveRules } from '../../domain/rules/default-rules.ts';
import { readRuleValue } from './read-rule-value.ts';

for (const backend of testBackends()) {
  describe(`rule values for verification (${backend})`, () => {
    let t: TestFirebreak;
    let dir: string;
    let ingest: string;
    let now = new Date('2026-03-02T08:00:00.000Z');
    const rules = resolveRules({});
    const at = (msBefore: number) => new Date(now.getTime() - msBefore).toISOString();
    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'fb-rule-check-'));
      writeFileSync(
        path.join(dir, 'error-drill.yaml'),
        'type: error_drill\ntitle: Error drill\nseverity: high\nverification:\n  - { id: errors-low, title: Error rate normal, rule: high_error_rate, below_for: 2s }\n',
      );
      t = await startTestFirebreak(backend, { configYaml: { runbooks_dir: dir }, create: { clock: () => now, verifyIntervalMs: 1000 } });
      ingest = await t.makeToken('ingest');
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const ingestEvents = async (events: object[]) => {
      assert.equal((await t.call('POST', '/api/v1/events', events, ingest)).status, 202);
      await t.fb.pipeline.drain();
      await t.fb.pipeline.flush();
    };

    test('count with match conditions, per key, percentile with min_samples; unknown is null', async () => {
      await ingestEvents([
        ...Array.from({ length: 10 }, (_, i) => ({ type: 'app.error', ts: at(30_000 - i), message: 'boom' })),
        ...Array.from({ length: 3 }, (_, i) => ({ type: 'http.request', ts: at(20_000 - i), ip: '198.51.100.9', status: 503 })),
        ...Array.from({ length: 5 }, (_, i) => ({ type: 'http.request', ts: at(10_000 - i), ip: '198.51.100.9', status: 404 })),
        { type: 'app.error', ts: at(61_000) }, // outside the 60 s window
        ...Array.from({ length: 3 }, (_, i) => ({ type: 'auth.login_failed', ts: at(5000 - i), ip: '203.0.113.7' })),
        ...Array.from({ length: 2 }, (_, i) => ({ type: 'auth.login_failed', ts: at(5000 - i), ip: '203.0.113.8' })),
      ]);
      const read = (rule: string, key: string | null) => readRuleValue(t.fb.deps, rules, rule, key, now);
      const errors = await read('high_error_rate', 'global');
      assert.deepEqual(
        { value: errors?.value, firing: errors?.firing },
        { value: 13, firing: true },
        '10 errors + 3 responses ≥ 500, not the 404s',
      );
      assert.equal((await read('brute_force_attempt', 'ip:203.0.113.7'))?.value, 3);
      assert.equal((await read('brute_force_attempt', 'ip:203.0.113.8'))?.value, 2);
      assert.equal((await read('brute_force_attempt', 'ip:203.0.113.7'))?.firing, false);
      assert.equal(await read('brute_force_attempt', 'probe:api'), null, 'not a key this rule groups by');
      assert.equal(await read('no_such_rule', 'global'), null);

      const slow = (n: number, ms: number) =>
        Array.from({ length: n }, (_, i) => ({ type: 'http.request', ts: at(1000 + i), ip: '192.0.2.1', status: 200, latency_ms: ms }));
      await ingestEvents(slow(19, 5000));
      assert.equal((await read('performance_degradation', 'global'))?.value, 0, 'fewer samples than min_samples');
      await ingestEvents(slow(1, 5000));
      // The 503/404 responses above carry no latency: only the 20 samples count.
      const p95 = await read('performance_degradation', 'global');
      assert.equal(p95?.value, 5000);
      assert.equal(p95?.firing, true);
    });

    test('a rule check holds below its threshold for below_for → mitigated', async () => {
      const created = await t.call('POST', '/api/v1/incidents', {
        type: 'error_drill',
        severity: 'high',
        title: 'errors',
        dedup_key: 'global',
      });
      const id = created.body.id;
      await t.fb.runbooks.idle();
      const round = async (advanceMs: number) => {
        now = new Date(now.getTime() + advanceMs);
        await t.fb.scheduler.tick();
        await t.fb.runbooks.idle();
        return (await t.call('GET', `/api/v1/incidents/${id}`)).body;
      };
      let inc = await round(1000);
      assert.equal(inc.run.checks[0].ok, false, 'errors are still in the window');
      assert.equal(inc.mitigated_at, null);
      inc = await round(60_000); // the window has moved past the errors
      assert.equal(inc.run.checks[0].ok, true);
      assert.equal(inc.mitigated_at, null, 'not yet held for below_for');
      inc = await round(1000);
      assert.equal(inc.mitigated_at, null);
      inc = await round(1000);
      assert.equal(inc.mitigated_at, now.toISOString(), 'held for 2 s');
      assert.equal(inc.status, 'triggered', 'no auto_resolve: a responder resolves it');
      // The problem comes back: no longer mitigated, with the reason.
      await ingestEvents(Array.from({ length: 12 }, (_, i) => ({ type: 'app.error', ts: at(500 - i) })));
      inc = await round(1000);
      assert.equal(inc.mitigated_at, null);
      const tl = (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).body.items as { kind: string; message: string }[];
      const failed = tl.find((e) => e.kind === 'verification_failed');
      assert.match(failed?.message ?? '', /Error rate normal.*high_error_rate = 12/);
      assert.deepEqual(
        tl.filter((e) => e.kind === 'check').map((e) => e.message.split(':')[0]),
        ['Check "Error rate normal" failing', 'Check "Error rate normal" passing', 'Check "Error rate normal" failing'],
      );
    });
  });
}
