// At start, live bans that an allowlist entry of the file now covers are
// lifted: looked up in the allowlist's index, one query for the decisions.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { liftAllowlistedDecisions } from './lift-allowlisted-decisions.ts';
import { listAudit } from '../../store/audit-repo.ts';

for (const backend of testBackends()) {
  describe(`allowlist entries added to the file lift bans at start (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend);
    });
    after(() => t.close());

    test('bans inside, around and outside the new entries', async () => {
      const ban = async (scope: string, value: string) => (await t.call('POST', '/api/v1/decisions', { scope, value })).body.id as string;
      const inside = await ban('ip', '198.51.100.7');
      const around = await ban('range', '198.51.0.0/16');
      const v6 = await ban('ip', '2001:db8:1::5');
      const outside = await ban('ip', '203.0.113.9');
      // The file now has 10,000 entries, two of which touch bans.
      const allowlist = [
        ...Array.from({ length: 10_000 }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.0/24`),
        '198.51.100.0/24',
        '2001:db8:1::/48',
      ];
      const lifted = await liftAllowlistedDecisions({ db: t.fb.deps.db, config: { ...t.config, allowlist }, clock: () => new Date() });
      assert.equal(lifted, 3);
      const state = async (id: string) => (await t.call('GET', `/api/v1/decisions/${id}`)).body;
      for (const id of [inside, around, v6]) assert.equal((await state(id)).end_reason, 'allowlisted', id);
      assert.equal((await state(outside)).active, true);
      const audit = (await listAudit(t.fb.deps.db, { limit: 100 })).filter((a) => a.action === 'decision.lift_allowlisted').reverse();
      assert.deepEqual(
        audit.map((a) => [a.target, (a.details!.decisions as string[]).length]),
        [
          ['198.51.100.0/24', 2],
          ['2001:db8:1::/48', 1],
        ],
      );
    });
  });
}
