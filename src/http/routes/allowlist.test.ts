import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

for (const backend of testBackends()) {
  describe(`allowlist API (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend, { configYaml: { allowlist: ['198.51.100.0/24'] } });
    });
    after(() => t.close());

    test('list: configuration entries, loopback always; add and remove through the API; IPv4 and IPv6', async () => {
      const first = await t.call('GET', '/api/v1/allowlist');
      assert.deepEqual(
        first.body.items.map((e: { cidr: string; source: string }) => [e.cidr, e.source]),
        [['198.51.100.0/24', 'config']],
      );
      assert.deepEqual(first.body.always, ['127.0.0.0/8', '::1/128']);
      const v4 = await t.call('POST', '/api/v1/allowlist', { cidr: '203.0.113.7', note: 'office' });
      assert.equal(v4.status, 201);
      assert.equal(v4.body.cidr, '203.0.113.7/32');
      const v6 = await t.call('POST', '/api/v1/allowlist', { cidr: '2001:DB8:1::/48' });
      assert.equal(v6.body.cidr, '2001:db8:1::/48');
      const mapped = await t.call('POST', '/api/v1/allowlist', { cidr: '::ffff:192.0.2.0/120' });
      assert.equal(mapped.body.cidr, '192.0.2.0/24', 'IPv4-mapped ranges are stored as IPv4');
      assert.equal((await t.call('POST', '/api/v1/allowlist', { cidr: '203.0.113.7/32' })).status, 409, 'already there');
      assert.equal((await t.call('POST', '/api/v1/allowlist', { cidr: '198.51.100.0/24' })).status, 409, 'already in the configuration');
      for (const [value, scope] of [
        ['203.0.113.7', 'ip'],
        ['2001:db8:1::9', 'ip'],
        ['192.0.2.77', 'ip'],
        ['2001:db8::/32', 'range'],
      ]) {
        const r = await t.call('POST', '/api/v1/decisions', { scope, value });
        assert.equal(r.status, 409, `${value} is allowlisted`);
      }
      const del = await t.call('DELETE', `/api/v1/allowlist/${v4.body.id}`);
      assert.equal(del.status, 200);
      assert.equal((await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.7' })).status, 201, 'no longer allowlisted');
      assert.equal((await t.call('DELETE', '/api/v1/allowlist/config:0')).status, 409);
      assert.equal((await t.call('DELETE', `/api/v1/allowlist/${v4.body.id}`)).status, 404);
      const audit = await t.fb.deps.db.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE action LIKE 'allowlist.%' ORDER BY id`,
      );
      assert.deepEqual(
        audit.rows.map((a) => a.action),
        ['allowlist.add', 'allowlist.add', 'allowlist.add', 'allowlist.remove'],
      );
    });

    test('allowlisting an address lifts the active bans that cover it', async () => {
      const a = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.90' });
      const b = await t.call('POST', '/api/v1/decisions', { scope: 'range', value: '203.0.113.0/28', type: 'captcha' });
      const other = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.200' });
      const r = await t.call('POST', '/api/v1/allowlist', { cidr: '203.0.113.64/26' });
      assert.deepEqual(
        r.body.lifted.map((d: { id: string }) => d.id),
        [a.body.id],
      );
      assert.equal((await t.call('GET', `/api/v1/decisions/${a.body.id}`)).body.end_reason, 'allowlisted');
      assert.equal((await t.call('GET', `/api/v1/decisions/${b.body.id}`)).body.active, true, 'a range that does not overlap stays');
      assert.equal((await t.call('GET', `/api/v1/decisions/${other.body.id}`)).body.active, true, '203.0.113.200 is outside .64-.127');
    });

    test('bad input and roles', async () => {
      for (const body of [{ cidr: 'bogus' }, { cidr: '10.0.0.0/40' }, { cidr: '' }, { note: 'x' }, { cidr: '10.0.0.1', color: 1 }]) {
        const r = await t.call('POST', '/api/v1/allowlist', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.code, 'invalid');
        assert.ok(r.body.error.details.length > 0);
      }
      const viewer = await t.makeToken('viewer');
      assert.equal((await t.call('GET', '/api/v1/allowlist', undefined, viewer)).status, 200);
      assert.equal((await t.call('POST', '/api/v1/allowlist', { cidr: '10.9.9.9' }, viewer)).status, 403);
      assert.equal((await t.call('POST', '/api/v1/allowlist', { cidr: '10.9.9.9' }, await t.makeToken('responder'))).status, 201);
    });
  });
}
