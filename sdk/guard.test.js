// The guard against a real loopback server playing the bouncer stream.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { createGuard } from './index.js';
import { BOUNCER_KEY, startFakeFirebreak, waitFor } from './testing/fake-firebreak.js';

const fast = { pollIntervalMs: 20, maxBackoffMs: 40, timeoutMs: 500 };

test('startup pull, deltas, deletion, expiry, offline enforcement and catch-up', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  fb.add({ id: 1, type: 'ban', scope: 'Ip', value: '203.0.113.5' });
  fb.add({ id: 2, type: 'ban', scope: 'Range', value: '198.51.100.0/24' });
  fb.add({ id: 3, type: 'ban', scope: 'Range', value: '2001:db8::/32' });
  const errors = [];
  const guard = createGuard({ url: fb.url, apiKey: BOUNCER_KEY, ...fast, onError: (e) => errors.push(e) });
  t.after(() => guard.stop());

  assert.equal(guard.healthy, false);
  assert.equal(guard.lastSyncAt, null);
  await guard.start();
  assert.equal(fb.pulls[0].startup, true);
  assert.equal(guard.healthy, true);
  assert.ok(guard.lastSyncAt > 0);
  assert.equal(guard.size(), 3);
  assert.equal(guard.check('203.0.113.5').action, 'ban');
  assert.equal(guard.check('::ffff:203.0.113.5').action, 'ban');
  assert.equal(guard.check('198.51.100.77').action, 'ban');
  assert.equal(guard.check('2001:DB8:1::1').action, 'ban');
  assert.equal(guard.check('203.0.113.6').action, 'allow');
  assert.equal(guard.check('2001:db9::1').action, 'allow');
  assert.equal(guard.check('203.0.113.5').decision.id, 1);

  // Deltas: a new ban appears, a deleted one disappears.
  fb.add({ id: 4, type: 'ban', scope: 'Ip', value: '192.0.2.7' });
  await waitFor(() => guard.check('192.0.2.7').action === 'ban', 2000, 'delta ban');
  assert.equal(fb.pulls.at(-1).startup, false);
  fb.remove(1);
  await waitFor(() => guard.check('203.0.113.5').action === 'allow', 2000, 'deletion');

  // A short decision, then Firebreak goes away.
  fb.add({ id: 5, type: 'ban', scope: 'Ip', value: '192.0.2.99', ttlMs: 400 });
  await waitFor(() => guard.check('192.0.2.99').action === 'ban', 2000, 'short ban');
  await fb.down();
  await waitFor(() => !guard.healthy, 2000, 'unhealthy');
  assert.ok(errors.length > 0);
  // Offline: the last known set is still enforced...
  assert.equal(guard.check('192.0.2.7').action, 'ban');
  assert.equal(guard.check('198.51.100.1').action, 'ban');
  // ...except what expires meanwhile, with no pull telling us.
  await waitFor(() => guard.check('192.0.2.99').action === 'allow', 2000, 'expiry while offline');

  // Changes made while we were away are only visible through a full re-sync.
  fb.remove(4);
  fb.add({ id: 6, type: 'ban', scope: 'Ip', value: '192.0.2.50' });
  const pullsBefore = fb.pulls.length;
  await fb.up();
  await waitFor(() => guard.healthy, 3000, 'healthy again');
  assert.equal(fb.pulls[pullsBefore].startup, true, 'first pull after the outage is startup=true');
  assert.equal(guard.check('192.0.2.50').action, 'ban');
  assert.equal(guard.check('192.0.2.7').action, 'allow');
  assert.equal(guard.check('198.51.100.1').action, 'ban');
  assert.equal(guard.size(), 3);
  await waitFor(() => fb.pulls.length > pullsBefore + 1, 2000, 'delta pull');
  assert.equal(fb.pulls.at(-1).startup, false);
});

test('start() resolves when Firebreak is unreachable, then catches up', async (t) => {
  // Find a free port, leave it closed for now.
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));

  let errors = 0;
  const guard = createGuard({
    url: `http://127.0.0.1:${port}/`,
    apiKey: BOUNCER_KEY,
    ...fast,
    onError: () => {
      errors++;
    },
  });
  t.after(() => guard.stop());
  await guard.start();
  assert.equal(guard.healthy, false);
  assert.equal(errors, 1);
  assert.ok(guard.lastError instanceof Error);
  assert.equal(guard.check('203.0.113.5').action, 'allow');

  const fb = await startFakeFirebreak({ port });
  t.after(() => fb.close());
  fb.add({ id: 1, type: 'ban', scope: 'Ip', value: '203.0.113.5' });
  await waitFor(() => guard.check('203.0.113.5').action === 'ban', 3000, 'catch-up');
  assert.equal(guard.healthy, true);
  assert.equal(guard.lastError, null);
  assert.equal(fb.pulls[0].startup, true);
});

test('a large startup set is indexed in chunks while the old set keeps answering', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  for (let i = 0; i < 5000; i++) fb.add({ id: i + 1, type: 'ban', scope: 'Ip', value: `10.0.${i >> 8}.${i & 255}` });
  let bodyRead = false;
  const spyFetch = async (url, init) => {
    const res = await fetch(url, init);
    const json = res.json.bind(res);
    res.json = async () => {
      const body = await json();
      bodyRead = true;
      return body;
    };
    return res;
  };
  const guard = createGuard({ url: fb.url, apiKey: BOUNCER_KEY, ...fast, fetch: spyFetch });
  t.after(() => guard.stop());
  guard._apply(
    { new: [{ id: 99, type: 'ban', scope: 'Ip', value: '192.0.2.1', duration: '1h', origin: 'o', scenario: 's' }], deleted: null },
    true,
  );
  const samples = [];
  let done = false;
  (function sample() {
    samples.push({ bodyRead, size: guard.size() });
    if (!done) setImmediate(sample);
  })();
  await guard.start();
  done = true;
  assert.ok(
    samples.some((x) => x.bodyRead && x.size === 1),
    'the event loop ran while the new set was being indexed',
  );
  assert.ok(
    samples.every((x) => x.size === 1 || x.size === 5000),
    'never a half-built set',
  );
  assert.equal(guard.size(), 5000);
  assert.equal(guard.check('10.0.19.135').action, 'ban');
  assert.equal(guard.check('192.0.2.1').action, 'allow', 'the startup set replaced the old one');
});

test('a wrong API key is an error, not an empty set', async (t) => {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  const seen = [];
  const guard = createGuard({ url: fb.url, apiKey: 'wrong', ...fast, onError: (e) => seen.push(e.message) });
  t.after(() => guard.stop());
  await guard.start();
  assert.equal(guard.healthy, false);
  assert.match(seen[0], /HTTP 403/);
});

test('rate_limit: token bucket per address, ban wins over rate_limit', () => {
  let now = 1_000_000;
  const guard = createGuard({ url: 'http://unused', apiKey: 'k', rateLimit: { ratePerSec: 2, burst: 3 }, now: () => now });
  guard._apply(
    {
      new: [
        { id: 1, type: 'rate_limit', scope: 'Range', value: '192.0.2.0/24', duration: '1h', origin: 'o', scenario: 's' },
        { id: 2, type: 'ban', scope: 'Ip', value: '192.0.2.66', duration: '1h', origin: 'o', scenario: 's' },
      ],
      deleted: null,
    },
    true,
  );
  for (let i = 0; i < 3; i++) assert.equal(guard.check('192.0.2.1').action, 'allow');
  const v = guard.check('192.0.2.1');
  assert.equal(v.action, 'rate_limit');
  assert.equal(v.retryAfterSec, 1);
  assert.equal(v.decision.id, 1);
  // Buckets are per address: a neighbour in the same range has its own.
  assert.equal(guard.check('192.0.2.2').action, 'allow');
  // Refill at 2/s: after 500 ms one more request passes.
  now += 500;
  assert.equal(guard.check('192.0.2.1').action, 'allow');
  assert.equal(guard.check('192.0.2.1').action, 'rate_limit');
  // The exact ban beats the range's rate limit.
  assert.equal(guard.check('192.0.2.66').action, 'ban');
  // Expiry uses the decision's own clock.
  now += 3_600_001;
  assert.equal(guard.check('192.0.2.66').action, 'allow');
  assert.equal(guard.size(), 0);
});

test('check() never throws on odd input', () => {
  const guard = createGuard({ url: 'http://unused', apiKey: 'k' });
  guard._apply(
    { new: [{ id: 1, type: 'ban', scope: 'Range', value: '0.0.0.0/0', duration: '1h', origin: 'o', scenario: 's' }], deleted: null },
    true,
  );
  for (const ip of [undefined, null, '', 'not-an-ip', '1.2.3', '::g', 42]) {
    assert.equal(guard.check(ip).action, 'allow', String(ip));
  }
  assert.equal(guard.check('8.8.8.8').action, 'ban');
});
