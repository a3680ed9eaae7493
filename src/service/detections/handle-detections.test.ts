import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { resolveRules } from '../../domain/rules/default-rules.ts';
import type { DetectionJob } from '../../domain/event.ts';
import { handleDetections } from './handle-detections.ts';
import { readRuleValue } from '../runbooks/read-rule-value.ts';

type Entry = { kind: string; message: string; data: Record<string, unknown> | null };

for (const backend of testBackends()) {
  describe(`campaigns and batched decisions (${backend})`, () => {
    let t: TestFirebreak;
    let ingest: string;
    let now = new Date('2026-03-02T08:00:00.000Z');
    before(async () => {
      t = await startTestFirebreak(backend, {
        create: { clock: () => now },
        configYaml: {
          // 198.51.100.77 sits inside a /24 under attack: that /24 must never become a range ban.
          allowlist: ['198.51.100.77'],
          rules: { ddos: { group: false, threshold: 3 } },
        },
      });
      ingest = await t.makeToken('ingest');
    });
    after(async () => t.close());

    const failures = (ips: string[], user = (i: number) => `u${i}`) =>
      ips.flatMap((ip, i) =>
        [0, 1, 2, 3, 4].map((s) => ({
          type: 'auth.login_failed',
          ts: new Date(now.getTime() + s * 100).toISOString(),
          ip,
          user_id: user(i),
        })),
      );
    const send = async (events: unknown[]) => {
      const r = await t.call('POST', '/api/v1/events', events, ingest);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await t.fb.pipeline.drain();
      await t.fb.response.idle();
    };
    const timeline = async (id: string): Promise<Entry[]> =>
      (await t.call('GET', `/api/v1/incidents/${id}/timeline?limit=1000`)).body.items;
    const allMembers = async (id: string, q = '') => {
      const keys: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await t.call('GET', `/api/v1/incidents/${id}/members?limit=7${q}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        keys.push(...r.body.items.map((m: { key: string }) => m.key));
        cursor = r.body.next_cursor;
      } while (cursor);
      return keys;
    };

    test('a 30-address brute force is one incident with 30 members, each banned, and a /24 range ban', async () => {
      const ips = Array.from({ length: 30 }, (_, i) => `203.0.113.${i + 1}`);
      await send(failures(ips));
      const incs = (await t.call('GET', '/api/v1/incidents?type=brute_force_attempt')).body.items;
      assert.equal(incs.length, 1, 'one campaign');
      const inc = incs[0];
      assert.equal(inc.members, 30);
      assert.equal(inc.detection_count, 30);
      assert.deepEqual(
        await allMembers(inc.id),
        ips.map((ip) => `ip:${ip}`),
        'members pageable, in joining order',
      );
      assert.deepEqual(
        await allMembers(inc.id, '&q=113.2'),
        ips.filter((ip) => ip.includes('113.2')).map((ip) => `ip:${ip}`),
      );
      const bans = (await t.call('GET', `/api/v1/decisions?incident_id=${inc.id}&scope=ip&limit=1000`)).body.items;
      assert.equal(bans.length, 30, 'every address banned');
      const ranges = (await t.call('GET', `/api/v1/decisions?incident_id=${inc.id}&scope=range`)).body.items;
      assert.deepEqual(
        ranges.map((d: { value: string; type: string }) => [d.value, d.type]),
        [['203.0.113.0/24', 'ban']],
      );
      const member = (await t.call('GET', `/api/v1/incidents/${inc.id}/members?q=203.0.113.17`)).body.items[0];
      assert.equal(member.key, 'ip:203.0.113.17');
      assert.deepEqual(
        member.decisions.map((d: { value: string }) => d.value),
        ['203.0.113.17'],
      );
      // The bans of one batch are one action entry per outcome (with their count), not one line per
      // address; the opener's own ban and the range ban are entries of their own. One notification.
      const tl = await timeline(inc.id);
      const banEntries = tl.filter((e) => e.kind === 'action' && e.data!.action === 'block_ip');
      assert.equal(
        banEntries.reduce((n: number, e) => n + ((e.data!.count as number | undefined) ?? 1), 0),
        31,
      );
      assert.ok(banEntries.length < 31, `${banEntries.length} ban entries for 31 bans`);
      assert.equal(tl.filter((e) => e.kind === 'action' && e.data!.action === 'notify').length, 1);

      // The batched entry and the title follow on a timer.
      now = new Date(now.getTime() + 6000);
      await t.fb.scheduler.tick();
      const after = (await t.call('GET', `/api/v1/incidents/${inc.id}`)).body;
      assert.equal(after.title, 'Brute force from 30 addresses');
      const joined = (await timeline(inc.id)).filter((e) => e.kind === 'members');
      assert.deepEqual(
        joined.map((e) => e.message),
        ['+29 addresses joined this campaign (30 in all)'],
      );
    });

    test('verification reads the rule for every member: the busiest one decides', async () => {
      const inc = (await t.call('GET', '/api/v1/incidents?type=brute_force_attempt')).body.items[0];
      const extra = [0, 1, 2].map((s) => ({
        type: 'auth.login_failed',
        ts: new Date(now.getTime() - 1000 + s).toISOString(),
        ip: '203.0.113.30',
        user_id: 'x',
      }));
      await send(extra);
      await t.fb.pipeline.flush();
      const rules = resolveRules({});
      const r = await readRuleValue(t.fb.deps, rules, 'brute_force_attempt', inc.dedup_key, now);
      assert.equal(r?.value, 8, 'the opener alone has 5 in its window; member 203.0.113.30 has 8');
      assert.equal(r?.firing, true);
    });

    test('handling the same batch again changes nothing', async () => {
      const rules = resolveRules({});
      const rule = rules.find((r) => r.name === 'brute_force_attempt')!;
      const batch: DetectionJob[] = ['192.0.2.101', '192.0.2.102', '192.0.2.103'].map((ip, i) => ({
        d: { rule: rule.name, key: `ip:${ip}`, atUs: now.getTime() * 1000 + i, value: 5 },
        rule,
      }));
      const deps = { ...t.fb.deps, response: t.fb.response };
      await handleDetections(deps, batch);
      await t.fb.response.idle();
      const count = async () => {
        const r = await t.fb.deps.db.query<{ i: number; m: number; d: number; a: number; tl: number; n: number }>(
          `SELECT (SELECT count(*)::int FROM incidents) AS i, (SELECT count(*)::int FROM incident_members) AS m,
                  (SELECT count(*)::int FROM decisions) AS d, (SELECT count(*)::int FROM action_runs) AS a,
                  (SELECT count(*)::int FROM incident_timeline) AS tl, (SELECT sum(detection_count)::int FROM incidents) AS n`,
        );
        return r.rows[0];
      };
      const first = await count();
      await handleDetections(deps, batch);
      await t.fb.response.idle();
      assert.deepEqual(await count(), first);
    });

    test('a range that would cover an allowlisted address is never created; the address is never banned', async () => {
      const ips = Array.from({ length: 12 }, (_, i) => `198.51.100.${70 + i}`); // includes .77
      await send(failures(ips));
      assert.equal((await t.call('GET', '/api/v1/decisions?ip=198.51.100.77&active=all')).body.items.length, 0);
      const ranges = (await t.call('GET', '/api/v1/decisions?scope=range&active=all&limit=100')).body.items;
      assert.ok(!ranges.some((d: { value: string }) => d.value.startsWith('198.51.100.')), JSON.stringify(ranges));
      const banned = (await t.call('GET', '/api/v1/decisions?q=198.51.100.&scope=ip&limit=100')).body.items;
      assert.equal(banned.length, 11, 'the others are banned one by one');
    });

    test('credential stuffing: every contributing address is banned, the account is protected once', async () => {
      const ips = Array.from({ length: 10 }, (_, i) => `2001:db8:${i + 1}::9`);
      const events = ips.map((ip, i) => ({
        type: 'auth.login_failed',
        ts: new Date(now.getTime() + i * 1000).toISOString(),
        ip,
        user_id: 'alice',
      }));
      await send(events);
      const inc = (await t.call('GET', '/api/v1/incidents?type=credential_stuffing')).body.items[0];
      assert.ok(inc, 'the rule opened an incident');
      assert.equal(inc.dedup_key, 'user:alice');
      const bans = (await t.call('GET', `/api/v1/decisions?incident_id=${inc.id}&scope=ip&limit=100`)).body.items;
      assert.deepEqual(bans.map((d: { value: string }) => d.value).sort(), [...ips].sort());
      const runs = (await t.call('GET', `/api/v1/incidents/${inc.id}/actions`)).body.items as { action: string; target: string }[];
      assert.deepEqual(
        runs.filter((r) => r.action !== 'block_ip').map((r) => [r.action, r.target]),
        [
          ['protect_account', 'user:alice'],
          ['notify', 'notify:security'],
        ],
      );
    });

    test('with group: false every key has its own incident', async () => {
      const ips = ['192.0.2.201', '192.0.2.202'];
      await send(ips.flatMap((ip) => [0, 1, 2].map((s) => ({ type: 'http.request', ts: new Date(now.getTime() + s).toISOString(), ip }))));
      const incs = (await t.call('GET', '/api/v1/incidents?type=ddos')).body.items;
      assert.deepEqual(
        incs.map((i: { dedup_key: string }) => i.dedup_key).sort(),
        ips.map((ip) => `ip:${ip}`),
      );
    });

    test('the bouncer stream serves the range with scope Range', async () => {
      const bouncer = await t.makeToken('bouncer');
      const r = await t.call('GET', '/v1/decisions/stream?startup=true', undefined, null, { 'x-api-key': bouncer });
      const range = (r.body.new as { scope: string; value: string }[]).find((d) => d.value === '203.0.113.0/24');
      assert.equal(range?.scope, 'Range');
    });
  });
}
