import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecisionSet } from './decision-set.js';
import { parseIP } from './ip.js';

const d = (id, type, scope, value, duration = '1h') => ({ id, type, scope, value, duration, origin: 'o', scenario: 's' });
const T0 = 1_000_000;

/** The id of the record matching `ip` at `now`, or null. */
function matchId(set, ip, now = T0) {
  const out = new Int32Array(8);
  const fam = parseIP(ip, out);
  const rec = fam === 4 ? set.match4(out[0], () => now) : fam === 6 ? set.match6(out, () => now) : null;
  return rec === null ? null : rec.id;
}

test('matching: exact and CIDR, IPv4 and IPv6, any spelling', () => {
  const set = new DecisionSet();
  set.add(d(1, 'ban', 'Ip', '203.0.113.5'), T0);
  set.add(d(2, 'ban', 'Range', '198.51.100.0/24'), T0);
  set.add(d(3, 'ban', 'Range', '2001:db8::/32'), T0);
  set.add(d(4, 'ban', 'Ip', '2001:db9::abcd'), T0);
  set.add(d(5, 'ban', 'Range', '10.0.0.0/8'), T0);
  set.add(d(6, 'ban', 'Range', '2001:dba:8000::/33'), T0);
  set.add(d(7, 'ban', 'Ip', '::ffff:192.0.2.9'), T0);
  const table = [
    ['203.0.113.5', 1],
    ['::ffff:203.0.113.5', 1],
    ['203.0.113.4', null],
    ['198.51.100.0', 2],
    ['198.51.100.255', 2],
    ['198.51.101.0', null],
    ['198.51.99.255', null],
    ['2001:db8::1', 3],
    ['2001:DB8:FFFF:FFFF::', 3],
    ['2001:db7:ffff::', null],
    ['2001:db9::abcd', 4],
    ['2001:db9:0:0:0:0:0:abcd', 4],
    ['2001:db9::abce', null],
    ['10.255.255.255', 5],
    ['11.0.0.0', null],
    ['2001:dba:8000::1', 6],
    ['2001:dba:7fff::1', null], // /33 splits a group
    ['192.0.2.9', 7],
    ['::1', null],
    ['127.0.0.1', null],
  ];
  for (const [ip, id] of table) assert.equal(matchId(set, ip), id, ip);
  assert.deepEqual(
    set.levels4.map((l) => l.prefix),
    [32, 24, 8],
  );
  assert.deepEqual(
    set.levels6.map((l) => l.prefix),
    [128, 33, 32],
  );
});

test('expiry: a decision stops matching at now + duration, sweep frees it', () => {
  const set = new DecisionSet();
  set.add(d(1, 'ban', 'Ip', '192.0.2.1', '1.5s'), T0);
  set.add(d(2, 'ban', 'Ip', '192.0.2.2', '1h'), T0);
  assert.equal(matchId(set, '192.0.2.1', T0 + 1499), 1);
  assert.equal(matchId(set, '192.0.2.1', T0 + 1500), null);
  assert.equal(set.sweep(T0 + 1000), 0);
  assert.equal(set.sweep(T0 + 1500), 1);
  assert.equal(set.size, 1);
  assert.deepEqual(
    set.levels4.map((l) => l.prefix),
    [32],
  );
  // Already-expired, malformed or non-IP decisions are ignored.
  assert.equal(set.add(d(3, 'ban', 'Ip', '192.0.2.3', '-1s'), T0), false);
  assert.equal(set.add(d(4, 'ban', 'Ip', '192.0.2.4', 'soon'), T0), false);
  assert.equal(set.add(d(5, 'ban', 'Ip', 'not-an-ip'), T0), false);
  assert.equal(set.add(d(6, 'lock', 'User', 'alice'), T0), false);
  assert.equal(set.size, 1);
});

test('removal by id, by value when the id is unknown, and replacement by id', () => {
  const set = new DecisionSet();
  set.add(d(1, 'ban', 'Ip', '192.0.2.1'), T0);
  set.add(d(2, 'ban', 'Range', '198.51.100.0/24'), T0);
  set.remove({ id: 1 });
  assert.equal(matchId(set, '192.0.2.1'), null);
  set.remove({ id: 999, type: 'ban', scope: 'Range', value: '198.51.100.0/24' });
  assert.equal(matchId(set, '198.51.100.3'), null);
  assert.equal(set.size, 0);
  assert.equal(set.empty, true);
  set.add(d(3, 'ban', 'Ip', '192.0.2.1'), T0);
  set.add(d(3, 'ban', 'Ip', '192.0.2.2'), T0); // same id, new value
  assert.equal(matchId(set, '192.0.2.1'), null);
  assert.equal(matchId(set, '192.0.2.2'), 3);
  assert.equal(set.size, 1);
});

test('a ban wins over a rate_limit at any prefix; unknown types follow unknownType', () => {
  const set = new DecisionSet();
  set.add(d(1, 'rate_limit', 'Ip', '192.0.2.1'), T0);
  set.add(d(2, 'ban', 'Range', '192.0.2.0/24'), T0);
  assert.equal(matchId(set, '192.0.2.1'), 2);
  set.remove({ id: 2 });
  assert.equal(matchId(set, '192.0.2.1'), 1);
  set.add(d(3, 'captcha', 'Ip', '192.0.2.7'), T0);
  assert.equal(matchId(set, '192.0.2.7'), 3);
  const lenient = new DecisionSet({ unknownType: 'allow' });
  assert.equal(lenient.add(d(3, 'captcha', 'Ip', '192.0.2.7'), T0), false);
});
