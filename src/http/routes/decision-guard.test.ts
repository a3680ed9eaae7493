// Guard rails on decisions (docs/security.md): decisions.max_range, never the
// unspecified address or the server's own, the allowlist by overlap, and the
// ban budget for automated bans.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

const failed = (ip: string, sec: number) => ({ type: 'auth.login_failed', ts: `2026-03-02T08:00:${String(sec).padStart(2, '0')}Z`, ip });

for (const backend of testBackends()) {
  describe(`decision guard rails (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend, { configYaml: { decisions: { ban_budget: 2 }, allowlist: ['198.51.100.0/24'] } });
    });
    after(() => t.close());

    const ban = (scope: string, value: string) => t.call('POST', '/api/v1/decisions', { scope, value, type: 'ban', duration: '1h' });

    test('a responder cannot ban 0.0.0.0, ::, 2000::/3, a /15, the allowlist by overlap, or this server', async () => {
      for (const [scope, value, why] of [
        ['ip', '0.0.0.0', /unspecified/],
        ['ip', '::', /unspecified/],
        ['range', '2000::/3', /wider than decisions\.max_range/],
        ['range', '0.0.0.0/0', /allowlist/], // it overlaps loopback first
        ['range', '203.0.0.0/15', /wider/],
      ] as const) {
        const r = await ban(scope, value);
        assert.ok(r.status === 400 || r.status === 409, `${value}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.error.message, why, value);
      }
      const overlap = await ban('range', '198.51.0.0/16');
      assert.equal(overlap.status, 409, 'a range containing an allowlisted range is refused');
      const own = Object.values(os.networkInterfaces())
        .flat()
        .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
      const ownTarget = own ?? '127.0.0.1';
      const r = await ban('ip', ownTarget);
      assert.ok(r.status === 400 || r.status === 409, `own address ${ownTarget}: ${r.status}`);
      assert.equal((await ban('range', '203.0.0.0/16')).status, 201, 'within max_range');
      const list = await t.call('GET', '/api/v1/decisions');
      assert.deepEqual(
        list.body.items.map((d: { value: string }) => d.value),
        ['203.0.0.0/16'],
      );
    });

    test('ban budget: past N automated bans a minute, bans are skipped and one incident raised', async () => {
      const ingest = await t.makeToken('ingest');
      const ips = ['203.0.113.21', '203.0.113.22', '203.0.113.23', '203.0.113.24'];
      const evs = ips.flatMap((ip) => [0, 1, 2, 3, 4].map((s) => failed(ip, s)));
      assert.equal((await t.call('POST', '/api/v1/events', evs, ingest)).status, 202);
      await t.fb.pipeline.drain();
      await t.fb.runbooks.idle();
      const deadline = Date.now() + 5000;
      let budget: { items: { type: string; title: string }[] } = { items: [] };
      while (Date.now() < deadline) {
        budget = (await t.call('GET', '/api/v1/incidents?type=ban_budget_exceeded')).body;
        if (budget.items.length > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const bans = (await t.call('GET', '/api/v1/decisions')).body.items.filter((d: { value: string }) =>
        d.value.startsWith('203.0.113.2'),
      );
      assert.equal(bans.length, 2, 'two bans, then the budget stops them');
      assert.equal(budget.items.length, 1, 'one incident for the source');
      assert.match(budget.items[0]!.title, /rule:brute_force_attempt asked for more than 2 bans in a minute/);
    });
  });
}
