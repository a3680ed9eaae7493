import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './ip.ts';
import { decisionTargetProblem } from './decision-guard.ts';

test('decision guard: max range, unspecified addresses, own addresses', () => {
  const guard = { maxRange: { ipv4: 16, ipv6: 32 }, ownAddresses: ['192.0.2.10', '2001:db8::10'] };
  const table: [string, RegExp | null][] = [
    ['203.0.113.9', null],
    ['198.51.0.0/16', null],
    ['198.50.0.0/15', /wider than decisions\.max_range allows \(\/16 for IPv4\)/],
    ['0.0.0.0/0', /wider/],
    ['2000::/3', /wider than .*\/32 for IPv6/],
    ['2001:db9::/32', null],
    ['0.0.0.0', /unspecified/],
    ['0.0.0.0/16', /unspecified/],
    ['::', /unspecified/],
    ['192.0.2.10', /an address of this Firebreak server/],
    ['192.0.0.0/16', /covers 192\.0\.2\.10/],
    ['2001:db8::/32', /covers 2001:db8::10/],
    ['192.0.2.11', null],
  ];
  for (const [text, want] of table) {
    const p = decisionTargetProblem(parseCidr(text)!, guard);
    if (want === null) assert.equal(p, null, text);
    else assert.match(p ?? '', want, text);
  }
  assert.equal(decisionTargetProblem(parseCidr('10.0.0.0/8')!, { ...guard, maxRange: { ipv4: 8, ipv6: 32 } }), null, 'configurable');
});
