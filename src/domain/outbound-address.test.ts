import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonPublicReason, outboundRefusal, parseOutboundAllow } from './outbound-address.ts';

test('non-public addresses are named; public ones pass', () => {
  const table: [string, string | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00::5', 'private'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['64:ff9b::a00:1', 'NAT64 (may reach a private IPv4 address)'],
    ['8.8.8.8', null],
    ['172.32.0.1', null],
    ['2606:4700::1111', null],
    ['203.0.113.9', null],
  ];
  for (const [ip, want] of table) assert.equal(nonPublicReason(ip), want, ip);
});

test('outbound.allow opens CIDRs and exact host names, nothing else', () => {
  const allow = parseOutboundAllow(['127.0.0.0/8', 'hooks.internal', '10.1.2.3']);
  assert.equal(outboundRefusal('127.0.0.1', '127.0.0.1', allow), null);
  assert.equal(outboundRefusal('hooks.internal', '10.9.9.9', allow), null);
  assert.equal(outboundRefusal('x', '10.1.2.3', allow), null);
  assert.match(outboundRefusal('evil.example', '10.1.2.4', allow)!, /refused to connect to evil\.example \(10\.1\.2\.4\): private address/);
  assert.match(outboundRefusal('::1', '::1', allow)!, /loopback/);
  assert.equal(outboundRefusal('a.example', '93.184.216.34', parseOutboundAllow([])), null);
});
