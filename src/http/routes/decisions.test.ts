import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

for (const backend of testBackends()) {
  describe(`decisions API (${backend})`, () => {
    let t: TestFirebreak;
    let now = new Date('2026-03-02T08:00:00.000Z');
    before(async () => {
      t = await startTestFirebreak(backend, {
        create: { clock: () => now },
        configYaml: { allowlist: ['198.51.100.0/24', '2001:db8:ffff::/48'] },
      });
    });
    after(() => t.close());

    test('create, read, list with filters, delete; audit records every change', async () => {
      const r = await t.call('POST', '/api/v1/decisions', {
        scope: 'ip',
        value: '203.0.113.10',
        type: 'ban',
        duration: '2h',
        reason: 'manual test',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.scope, 'ip');
      assert.equal(r.body.value, '203.0.113.10');
      assert.equal(r.body.until, '2026-03-02T10:00:00.000Z');
      assert.equal(r.body.origin, 'cscli');
      assert.equal(r.body.active, true);
      assert.equal(typeof r.body.id, 'string');
      const one = await t.call('GET', `/api/v1/decisions/${r.body.id}`);
      assert.equal(one.body.reason, 'manual test');
      // canonical forms: IPv4-mapped IPv6 is stored as IPv4; a range loses its host bits; IPv6 is RFC 5952
      const mapped = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '::ffff:203.0.113.11' });
      assert.equal(mapped.body.value, '203.0.113.11');
      assert.equal(mapped.body.until, '2026-03-02T12:00:00.000Z', 'default duration 4h');
      const range = await t.call('POST', '/api/v1/decisions', { scope: 'range', value: '10.1.2.3/8', type: 'captcha', duration: 600 });
      assert.equal(range.body.value, '10.0.0.0/8');
      const v6 = await t.call('POST', '/api/v1/decisions', {
        scope: 'ip',
        value: '2001:DB8:0:0:0:0:0:1',
        type: 'rate_limit',
        duration: '10m',
      });
      assert.equal(v6.body.value, '2001:db8::1');
      const lock = await t.call('POST', '/api/v1/decisions', { scope: 'user', value: 'alice', type: 'lock', duration: '1d' });
      assert.equal(lock.status, 201);

      const byValue = await t.call('GET', '/api/v1/decisions?ip=203.0.113.10');
      assert.deepEqual(
        byValue.body.items.map((d: { id: string }) => d.id),
        [r.body.id],
      );
      const byType = await t.call('GET', '/api/v1/decisions?type=lock');
      assert.deepEqual(
        byType.body.items.map((d: { value: string }) => d.value),
        ['alice'],
      );
      const page1 = await t.call('GET', '/api/v1/decisions?limit=2');
      assert.equal(page1.body.items.length, 2);
      assert.ok(page1.body.next_cursor);
      const page2 = await t.call('GET', `/api/v1/decisions?limit=10&cursor=${page1.body.next_cursor}`);
      assert.equal(page1.body.items.length + page2.body.items.length, 5);
      assert.equal(page2.body.next_cursor, null);

      const del = await t.call('DELETE', `/api/v1/decisions/${r.body.id}`);
      assert.equal(del.status, 200);
      assert.equal(del.body.active, false);
      assert.equal(del.body.end_reason, 'deleted');
      assert.equal((await t.call('DELETE', `/api/v1/decisions/${r.body.id}`)).status, 409, 'already lifted');
      assert.equal((await t.call('DELETE', '/api/v1/decisions/999999')).status, 404);
      const active = await t.call('GET', '/api/v1/decisions?ip=203.0.113.10');
      assert.equal(active.body.items.length, 0);
      const ended = await t.call('GET', '/api/v1/decisions?ip=203.0.113.10&active=false');
      assert.equal(ended.body.items.length, 1);
      const bulk = await t.call('DELETE', '/api/v1/decisions?value=alice&scope=user');
      assert.equal(bulk.body.deleted, 1);
      const audit = await t.fb.deps.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'decision.%' ORDER BY id`);
      assert.deepEqual(
        audit.rows.map((a) => a.action),
        [
          'decision.create',
          'decision.create',
          'decision.create',
          'decision.create',
          'decision.create',
          'decision.delete',
          'decision.delete',
        ],
      );
    });

    test('one live decision per target and type: a longer one extends it, a shorter one changes nothing', async () => {
      const a = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.20', duration: '1h' });
      const b = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.20', duration: '30m' });
      assert.equal(b.status, 200);
      assert.equal(b.body.outcome, 'existing');
      assert.equal(b.body.id, a.body.id);
      const c = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.20', duration: '3h' });
      assert.equal(c.body.outcome, 'extended');
      assert.equal(c.body.id, a.body.id);
      assert.equal(c.body.until, new Date(now.getTime() + 3 * 3_600_000).toISOString());
    });

    test('expiry: an expired decision is no longer active', async () => {
      const a = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.30', duration: '1m' });
      now = new Date(now.getTime() + 61_000);
      assert.equal((await t.call('GET', `/api/v1/decisions/${a.body.id}`)).body.active, false);
      assert.equal((await t.call('GET', '/api/v1/decisions?ip=203.0.113.30')).body.items.length, 0);
      assert.equal((await t.call('DELETE', `/api/v1/decisions/${a.body.id}`)).status, 409);
      const again = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.30', duration: '1m' });
      assert.equal(again.status, 201, 'a new ban after expiry is a new decision');
      assert.notEqual(again.body.id, a.body.id);
    });

    test('allowlisted targets: 409 naming the entry, loopback always', async () => {
      const cases: [string, string, RegExp][] = [
        ['ip', '198.51.100.7', /198\.51\.100\.0\/24 \(from the configuration file\)/],
        ['ip', '127.0.0.1', /127\.0\.0\.0\/8 \(loopback/],
        ['ip', '::1', /::1\/128/],
        ['ip', '::ffff:127.0.0.2', /127\.0\.0\.0\/8/],
        ['range', '198.51.0.0/16', /198\.51\.100\.0\/24/],
        ['range', '0.0.0.0/0', /allowlist/],
        ['ip', '2001:db8:ffff::5', /2001:db8:ffff::\/48/],
      ];
      for (const [scope, value, msg] of cases) {
        const r = await t.call('POST', '/api/v1/decisions', { scope, value });
        assert.equal(r.status, 409, `${scope} ${value}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'conflict');
        assert.match(r.body.error.message, msg);
        assert.equal(r.body.error.details[0].path, 'value');
      }
      assert.equal((await t.call('GET', '/api/v1/decisions?value=198.51.100.7')).body.items.length, 0);
    });

    test('bad input: 400 naming the field, nothing written', async () => {
      const before = (await t.call('GET', '/api/v1/decisions?active=all&limit=1000')).body.items.length;
      const cases: [unknown, string, RegExp][] = [
        [{ scope: 'ip', value: '999.1.1.1' }, 'value', /not an IP address/],
        [{ scope: 'ip', value: '10.0.0.0/8' }, 'value', /use scope "range"/],
        [{ scope: 'range', value: '10.0.0.0/33' }, 'value', /not a CIDR/],
        [{ scope: 'host', value: '1.2.3.4' }, 'scope', /unknown scope "host"/],
        [{ scope: 'ip', value: '1.2.3.4', type: 'nuke' }, 'type', /unknown type "nuke"/],
        [{ scope: 'ip', value: '1.2.3.4', duration: '-1h' }, 'duration', /not a duration/],
        [{ scope: 'ip', value: '1.2.3.4', duration: 0 }, 'duration', /positive/],
        [{ scope: 'ip', value: '1.2.3.4', duration: -5 }, 'duration', /positive/],
        [{ scope: 'ip', value: '1.2.3.4', duration: '3660d' }, 'duration', /10 years/],
        [{ scope: 'ip', value: '1.2.3.4', until: '2020-01-01T00:00:00Z' }, 'until', /future/],
        [{ scope: 'ip', value: '1.2.3.4', until: 'tomorrow' }, 'until', /RFC 3339/],
        [{ scope: 'user', value: 'bob', type: 'ban' }, 'scope', /use type "lock"/],
        [{ scope: 'ip', value: '1.2.3.4', type: 'lock' }, 'scope', /user/],
        [{ scope: 'ip', value: '1.2.3.4', incident_id: '999999' }, 'incident_id', /no incident/],
        [{ scope: 'ip', value: '1.2.3.4', color: 'red' }, '(root)', /color/],
      ];
      for (const [body, path, msg] of cases) {
        const r = await t.call('POST', '/api/v1/decisions', body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'invalid');
        assert.ok(
          r.body.error.details.some((d: { path: string }) => d.path === path),
          `${JSON.stringify(body)}: ${JSON.stringify(r.body.error.details)}`,
        );
        assert.match([r.body.error.message, ...r.body.error.details.map((d: { message: string }) => d.message)].join(' | '), msg);
      }
      for (const url of [
        '/api/v1/decisions?scope=planet',
        '/api/v1/decisions?ip=1.2.3',
        '/api/v1/decisions?limit=0',
        '/api/v1/decisions?active=maybe',
        '/api/v1/decisions?type=nuke',
      ]) {
        const r = await t.call('GET', url);
        assert.equal(r.status, 400, url);
        assert.equal(r.body.error.code, 'invalid');
      }
      assert.equal((await t.call('DELETE', '/api/v1/decisions')).status, 400, 'a bulk delete needs a filter');
      assert.equal((await t.call('GET', '/api/v1/decisions?active=all&limit=1000')).body.items.length, before);
    });

    test('roles: viewer reads, responder writes, bouncer and ingest may not use this API', async () => {
      const viewer = await t.makeToken('viewer');
      const responder = await t.makeToken('responder');
      const bouncer = await t.makeToken('bouncer');
      assert.equal((await t.call('GET', '/api/v1/decisions', undefined, viewer)).status, 200);
      assert.equal((await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.40' }, viewer)).status, 403);
      const ok = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.40' }, responder);
      assert.equal(ok.status, 201);
      assert.equal(ok.body.created_by, 'responder-token');
      assert.equal((await t.call('DELETE', `/api/v1/decisions/${ok.body.id}`, undefined, viewer)).status, 403);
      assert.equal((await t.call('GET', '/api/v1/decisions', undefined, bouncer)).status, 403);
      assert.equal((await t.call('GET', '/api/v1/decisions', undefined, null)).status, 401);
      assert.equal((await t.call('DELETE', `/api/v1/decisions/${ok.body.id}`, undefined, responder)).status, 200);
    });
  });
}
