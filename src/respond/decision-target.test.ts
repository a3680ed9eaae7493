import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress, canonicalTarget, type DecisionScopeName } from './decision-target.ts';

test('canonical decision values', () => {
  const cases: [DecisionScopeName, string | undefined, string | null][] = [
    ['ip', '203.0.113.5', '203.0.113.5'],
    ['ip', ' 010.001.002.003 ', '10.1.2.3'],
    ['ip', '::ffff:203.0.113.5', '203.0.113.5'],
    ['ip', '2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['ip', '203.0.113.5/32', '203.0.113.5'],
    ['ip', '2001:db8::1/128', '2001:db8::1'],
    ['ip', '10.0.0.0/8', null],
    ['ip', 'fe80::1%eth0', null],
    ['ip', '1.2.3', null],
    ['ip', '', null],
    ['range', '10.1.2.3/8', '10.0.0.0/8'],
    ['range', '::ffff:192.0.2.0/120', '192.0.2.0/24'],
    ['range', '2001:db8::/32', '2001:db8::/32'],
    ['range', '192.0.2.1', '192.0.2.1/32'],
    ['range', '10.0.0.0/33', null],
    ['user', ' alice ', 'alice'],
    ['user', 'a\nb', null],
    ['user', '', null],
    ['user', 'x'.repeat(201), null],
    ['global', undefined, '*'],
    ['global', '*', '*'],
    ['global', 'everyone', null],
  ];
  for (const [scope, raw, want] of cases) {
    const r = canonicalTarget(scope, raw);
    assert.equal(r.ok ? r.value : null, want, `${scope} ${JSON.stringify(raw)}`);
  }
});

test('canonical addresses for lookups', () => {
  assert.equal(canonicalAddress('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalAddress('10.0.0.0/8'), null);
  assert.equal(canonicalAddress('nope'), null);
});
