import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalIp, parseNetwork } from './ip.js';

test('canonicalIp: every spelling of an address has one canonical text', () => {
  const table = [
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'], // what a dual-stack socket reports
    ['::FFFF:cb00:7105', '203.0.113.5'],
    ['0:0:0:0:0:ffff:203.0.113.5', '203.0.113.5'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], // the longest run is
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['255.255.255.255', '255.255.255.255'],
    ['0.0.0.0', '0.0.0.0'],
  ];
  for (const [input, want] of table) assert.equal(canonicalIp(input), want, input);
});

test('canonicalIp: rejects what is not an address', () => {
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4x',
    ' ',
    'a.b.c.d',
    '1::2::3',
    ':1',
    '1:',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '1:2:3:4:5:6:7::8:9',
    '::1.2.3',
    'g::1',
  ]) {
    assert.equal(canonicalIp(bad), null, JSON.stringify(bad));
  }
  assert.equal(canonicalIp(undefined), null);
});

test('parseNetwork: masks host bits and keys by prefix', () => {
  const a = parseNetwork('198.51.100.7/24');
  const b = parseNetwork('198.51.100.0/24');
  assert.deepEqual(a, b);
  assert.equal(a.prefix, 24);
  assert.equal(parseNetwork('198.51.100.7').prefix, 32);
  assert.deepEqual(parseNetwork('2001:db8:ffff::/32'), parseNetwork('2001:db8::/32'));
  assert.equal(parseNetwork('2001:db8::1').prefix, 128);
  // IPv4-mapped networks are IPv4 networks.
  assert.deepEqual(parseNetwork('::ffff:10.0.0.0/104'), parseNetwork('10.0.0.0/8'));
  for (const bad of ['1.2.3.4/33', '::/129', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/a', 'x/8']) {
    assert.equal(parseNetwork(bad), null, bad);
  }
});
