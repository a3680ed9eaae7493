import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaignTitle, growCampaign, placeDetection, type OpenCampaign } from './campaign.ts';
import { aggregateRanges, rangeOf } from './range.ts';
import { seededRandom as rng } from './seeded-random.ts';

test('placeDetection: the decision table', () => {
  const W = 600;
  const cs: OpenCampaign[] = [
    { id: '1', grewAtUs: 100 },
    { id: '2', grewAtUs: 500 },
  ];
  assert.deepEqual(placeDetection(1000, '7', cs, W), { kind: 'existing', id: '7' }, 'dedup by key first');
  assert.deepEqual(placeDetection(1000, null, cs, undefined), { kind: 'own' }, 'no grouping');
  assert.deepEqual(placeDetection(1000, null, cs, W), { kind: 'join', id: '2' }, 'the one that grew last, within the window');
  assert.deepEqual(placeDetection(1100, null, cs, W), { kind: 'join', id: '2' }, 'the window is inclusive');
  assert.deepEqual(placeDetection(1101, null, cs, W), { kind: 'own' }, 'grown too long ago');
  assert.deepEqual(growCampaign({ id: '2', grewAtUs: 500 }, 400), { id: '2', grewAtUs: 500 }, 'growth never moves back');
});

test('campaign membership matches a naive reference on random detection streams', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const W = 1 + Math.floor(r() * 50);
    const keys = Array.from({ length: 2 + Math.floor(r() * 20) }, (_, i) => `ip:k${i}`);
    const stream: { key: string; at: number }[] = [];
    let at = 0;
    for (let i = 0; i < 60; i++) {
      at += Math.floor(r() * 30);
      stream.push({ key: keys[Math.floor(r() * keys.length)]!, at });
    }

    // Planner: what the service does, with its incremental state.
    const openFor = new Map<string, string>();
    let campaigns: OpenCampaign[] = [];
    let next = 1;
    const got: string[] = [];
    for (const d of stream) {
      const p = placeDetection(d.at, openFor.get(d.key) ?? null, campaigns, W);
      let id: string;
      if (p.kind === 'own') {
        id = String(next++);
        campaigns.push({ id, grewAtUs: d.at });
      } else {
        id = p.id;
        if (p.kind === 'join') campaigns = campaigns.map((c) => (c.id === id ? growCampaign(c, d.at) : c));
      }
      openFor.set(d.key, id);
      got.push(id);
    }

    // Reference: every incident with its member set and every growth time, searched from scratch.
    const incidents: { id: string; members: Set<string>; growth: number[] }[] = [];
    const want: string[] = [];
    for (const d of stream) {
      const mine = incidents.find((i) => i.members.has(d.key));
      if (mine) {
        want.push(mine.id);
        continue;
      }
      const grown = incidents
        .map((i) => ({ i, last: Math.max(...i.growth) }))
        .filter((x) => d.at - x.last <= W)
        .sort((a, b) => b.last - a.last || Number(b.i.id) - Number(a.i.id));
      if (grown.length > 0) {
        grown[0]!.i.members.add(d.key);
        grown[0]!.i.growth.push(d.at);
        want.push(grown[0]!.i.id);
      } else {
        const inc = { id: String(incidents.length + 1), members: new Set([d.key]), growth: [d.at] };
        incidents.push(inc);
        want.push(inc.id);
      }
    }
    assert.deepEqual(got, want, `seed ${seed}`);
  }
});

test('campaignTitle says how many', () => {
  assert.equal(campaignTitle('Brute force', 'ip', 312), 'Brute force from 312 addresses');
  assert.equal(campaignTitle('Credential stuffing', 'user', 12_000), 'Credential stuffing on 12,000 accounts');
  assert.equal(campaignTitle('Brute force', 'ip', 1), 'Brute force from 1 address');
});

test('rangeOf: /24 for IPv4 (also IPv4-mapped), /64 for IPv6, null for the rest', () => {
  assert.equal(rangeOf('203.0.113.77'), '203.0.113.0/24');
  assert.equal(rangeOf('::ffff:203.0.113.77'), '203.0.113.0/24');
  assert.equal(rangeOf('2001:0db8:0001:0002:0000:0000:0000:00c0'), '2001:db8:1:2::/64');
  assert.equal(rangeOf('not-an-ip'), null);
  assert.equal(rangeOf('203.0.113.0/24'), null);
});

test('range aggregation matches a naive reference on random address sets', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const t = { ipv4Min: 2 + Math.floor(r() * 8), ipv6Min: 2 + Math.floor(r() * 3) };
    const addrs: string[] = [];
    const n = Math.floor(r() * 80);
    for (let i = 0; i < n; i++) {
      const kind = r();
      const net = Math.floor(r() * 3) + 1;
      const host = Math.floor(r() * 12) + 1;
      if (kind < 0.45) addrs.push(`198.51.${net}.${host}`);
      else if (kind < 0.55) addrs.push(`::ffff:198.51.${net}.${host}`);
      else if (kind < 0.95) addrs.push(`2001:0db8:000${net}:0001:0000:0000:0000:${host.toString(16).padStart(4, '0')}`);
      else addrs.push(`junk${host}`);
    }
    const got = aggregateRanges(addrs, t)
      .map((x) => `${x.cidr}=${x.count}`)
      .sort();

    // Reference: string surgery on the generated forms, distinct hosts per network.
    const nets = new Map<string, Set<string>>();
    for (const a of addrs) {
      let net: string;
      let host: string;
      if (a.startsWith('junk')) continue;
      if (a.includes('.')) {
        const v4 = a.replace('::ffff:', '').split('.');
        net = `${v4[0]}.${v4[1]}.${v4[2]}.0/24`;
        host = v4[3]!;
      } else {
        const g = a.split(':');
        net = `2001:db8:${Number.parseInt(g[2]!, 16)}:1::/64`;
        host = String(Number.parseInt(g[7]!, 16));
      }
      if (!nets.has(net)) nets.set(net, new Set());
      nets.get(net)!.add(host);
    }
    const want = [...nets]
      .filter(([net, hosts]) => hosts.size >= (net.includes(':') ? t.ipv6Min : t.ipv4Min))
      .map(([net, hosts]) => `${net}=${hosts.size}`)
      .sort();
    assert.deepEqual(got, want, `seed ${seed}`);
  }
});
