import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, canonicalV6At, parseCidr, cidrContains, isLoopback, IpMatcher } from './ip.ts';
import { seededRandom } from './seeded-random.ts';

test('canonicalIp: IPv4', () => {
  const cases: [string, string | null][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['010.001.000.009', '10.1.0.9'],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['1.2.3.4.5', null],
    ['1..2.3', null],
    ['1.2.3.4 ', null],
    [' 1.2.3.4', null],
    ['1.2.3.', null],
    ['.1.2.3', null],
    ['1234.1.1.1', null],
    ['a.b.c.d', null],
    ['', null],
    ['1.2.3.-4', null],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, JSON.stringify(input));
});

test('canonicalIp: IPv6 in RFC 5952 form', () => {
  const cases: [string, string | null][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1::', '1::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first run wins a tie
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:db8::0:1', '2001:db8::1'],
    ['fe80::1', 'fe80::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['fe80::1%eth0', null],
    ['[::1]', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1:2:3:4:5:6:7', null],
    ['1:2:3:4:5:6:7:8::', null],
    ['::1:2:3:4:5:6:7:8', null],
    ['1::2::3', null],
    ['1:::2', null],
    [':1::2', null],
    ['1::2:', null],
    ['12345::', null],
    ['g::1', null],
    ['::ffff:1.2.3.256', null],
    ['1:2:3:4:5:6:7:1.2.3.4', null],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, JSON.stringify(input));
});

test('parseCidr normalizes to the network address', () => {
  const cases: [string, string | null][] = [
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['1.2.3.4', '1.2.3.4/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::1/32', '2001:db8::/32'],
    ['2001:db8:ffff::1/33', '2001:db8:8000::/33'],
    ['::1', '::1/128'],
    ['1.2.3.4/33', null],
    ['::/129', null],
    ['1.2.3.4/', null],
    ['1.2.3.4/x', null],
    ['nope/8', null],
  ];
  for (const [input, want] of cases) assert.equal(parseCidr(input)?.text ?? null, want, input);
});

test('cidrContains, including IPv4-mapped addresses', () => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '::ffff:10.1.1.1', true],
    ['192.168.1.0/24', '192.168.1.0', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:1234::5', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['2001:db8:8000::/33', '2001:db8:7fff::1', false],
    ['2001:db8:8000::/33', '2001:db8:8000::1', true],
    ['::/0', '1.2.3.4', true],
    ['1.2.3.4/32', '1.2.3.4', true],
    ['1.2.3.4/32', 'garbage', false],
  ];
  for (const [cidr, ip, want] of cases) assert.equal(cidrContains(parseCidr(cidr)!, ip), want, `${cidr} ∋ ${ip}`);
});

test('isLoopback', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.255.0.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['::2', false],
    ['::', false],
    ['10.0.0.1', false],
    ['x', false],
  ];
  for (const [ip, want] of cases) assert.equal(isLoopback(ip), want, ip);
});

test('IpMatcher: exact addresses and ranges, add and remove', () => {
  const m = new IpMatcher(['198.51.100.0/24', '203.0.113.5', '2001:db8::/48', '2001:db8:ffff::7']);
  const cases: [string, boolean][] = [
    ['198.51.100.1', true],
    ['198.51.101.1', false],
    ['203.0.113.5', true],
    ['::ffff:203.0.113.5', true],
    ['203.0.113.6', false],
    ['2001:db8:0:1::9', true],
    ['2001:db8:1::9', false],
    ['2001:DB8:FFFF:0::7', true],
    ['2001:db8:ffff::8', false],
    ['not an ip', false],
  ];
  for (const [ip, want] of cases) assert.equal(m.matches(ip), want, ip);
  assert.equal(m.size, 4);
  assert.equal(m.add('bad/99'), false);
  assert.equal(m.remove('203.0.113.5'), true);
  assert.equal(m.remove('203.0.113.5'), false);
  assert.equal(m.matches('203.0.113.5'), false);
  assert.equal(m.remove('198.51.100.77/24'), true, 'ranges are removed by any address inside the same network');
  assert.equal(m.matches('198.51.100.1'), false);
  m.add('0.0.0.0/0');
  assert.equal(m.matches('8.8.8.8'), true);
  assert.equal(m.matches('2001:db9::1'), false);
  m.add('::/0');
  assert.equal(m.matches('2001:db9::1'), true);
});

test('canonicalV6At says what canonicalIp says of IPv6 text written canonically, on 300,000 near-miss cases', () => {
  const r = seededRandom(3);
  // Groups skewed to zeros (runs to compress), with uppercase and leading-zero forms.
  const hex = () => {
    const x = r();
    if (x < 0.45) return '0';
    if (x < 0.55) return '00';
    if (x < 0.6) return 'FFFF';
    if (x < 0.65) return '0db8';
    return Math.floor(r() * 65536).toString(16);
  };
  const fixed = ['::', '::1', '1::', '::ffff:1.2.3.4', '::ffff:102:304', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2::3', ':1::', '1:::2'];
  let canonical = 0;
  for (let i = 0; i < 300_000; i++) {
    const g = Array.from({ length: 8 }, hex);
    const mode = r();
    let s: string;
    if (mode < 0.3) s = g.join(':');
    else if (mode < 0.8) {
      // `::` anywhere, standing for any number of groups (right, too short, too long).
      const a = Math.floor(r() * 8);
      const len = Math.floor(r() * (8 - a));
      s = `${g.slice(0, a).join(':')}::${g.slice(a + len + 1).join(':')}`;
    } else if (mode < 0.9) s = canonicalIp(g.join(':')) ?? '::';
    else s = fixed[Math.floor(r() * fixed.length)]!;
    const want = !s.includes('.') && canonicalIp(s) === s;
    if (want) canonical++;
    // Read in place, inside a longer text.
    assert.equal(canonicalV6At(` ${s} `, 1, s.length + 1), want, s);
  }
  assert.ok(canonical > 30_000, `enough canonical cases (${canonical})`);
});
