// The scenario both middleware tests run against a real app (Express or
// Fastify) listening on '::' (dual stack), so IPv4 clients show up as
// `::ffff:127.0.0.1` and IPv6 ones as `::1`, and decisions flow through the
// fake bouncer stream. `listen(guard, opts)` starts the app and returns its port.
import assert from 'node:assert/strict';
import { createGuard } from '../index.js';
import { BOUNCER_KEY, startFakeFirebreak, waitFor } from './fake-firebreak.js';

/** Runs the shared cases; `listen(guard, opts)` → Promise<{ port, close() }>. */
export async function runMiddlewareCases(t, listen) {
  const fb = await startFakeFirebreak();
  t.after(() => fb.close());
  const guard = createGuard({ url: fb.url, apiKey: BOUNCER_KEY, pollIntervalMs: 20, rateLimit: { ratePerSec: 1, burst: 3 } });
  t.after(() => guard.stop());
  await guard.start();
  const app = await listen(guard, {});
  t.after(() => app.close());
  const v4 = `http://127.0.0.1:${app.port}/hello`;
  const v6 = `http://[::1]:${app.port}/hello`;

  // Nothing decided yet: both families pass.
  assert.equal((await fetch(v4)).status, 200);
  assert.equal((await fetch(v6)).status, 200);

  // A range ban on loopback IPv4 (matched through the IPv4-mapped socket address).
  fb.add({ id: 1, type: 'ban', scope: 'Range', value: '127.0.0.0/8' });
  await waitFor(() => guard.check('127.0.0.1').action === 'ban', 2000, 'ban');
  const banned = await fetch(v4);
  assert.equal(banned.status, 403);
  assert.match(banned.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(await banned.json(), { error: { code: 'forbidden', message: 'Access from your address is blocked.' } });
  assert.equal((await fetch(v6)).status, 200, 'IPv6 loopback is not in 127.0.0.0/8');

  // A rate limit on the IPv6 address: the burst passes, then 429 with Retry-After.
  fb.add({ id: 2, type: 'rate_limit', scope: 'Ip', value: '0:0:0:0:0:0:0:1' });
  await waitFor(() => guard.size() === 2, 2000, 'rate_limit');
  const statuses = [];
  let limited;
  for (let i = 0; i < 5; i++) {
    const res = await fetch(v6);
    statuses.push(res.status);
    const body = await res.json();
    if (res.status === 429) limited = { retryAfter: res.headers.get('retry-after'), body };
  }
  assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
  assert.equal(statuses[4], 429);
  assert.equal(limited.retryAfter, '1');
  assert.equal(limited.body.error.code, 'rate_limited');

  // Lifting the ban lets IPv4 through again.
  fb.remove(1);
  await waitFor(() => guard.check('127.0.0.1').action === 'allow', 2000, 'unban');
  assert.equal((await fetch(v4)).status, 200);
}

/** X-Forwarded-For is ignored unless trustProxy is set, and then only its right-most hop counts. */
export async function runProxyCases(t, listen) {
  const guard = createGuard({ url: 'http://unused.invalid', apiKey: 'k' });
  guard._apply(
    { new: [{ id: 1, type: 'ban', scope: 'Ip', value: '203.0.113.5', duration: '1h', origin: 'o', scenario: 's' }], deleted: null },
    true,
  );
  const direct = await listen(guard, {});
  const proxied = await listen(guard, { trustProxy: true });
  const blocked = [];
  const custom = await listen(guard, { onBlock: (_req, _res, verdict) => blocked.push(verdict.decision.id), getIp: () => '203.0.113.5' });
  t.after(() => Promise.all([direct.close(), proxied.close(), custom.close()]));
  const get = (app, xff) =>
    fetch(`http://127.0.0.1:${app.port}/hello`, { headers: xff ? { 'x-forwarded-for': xff } : {} }).then((r) => r.status);

  assert.equal(await get(direct, '203.0.113.5'), 200, 'a client cannot pick its address by header...');
  assert.equal(await get(proxied, '203.0.113.5'), 403, '...unless the app says a proxy sets it');
  assert.equal(await get(proxied, '203.0.113.5, 198.51.100.1'), 200, 'only the hop our proxy appended counts');
  assert.equal(await get(proxied, '198.51.100.1, 203.0.113.5'), 403);
  assert.equal(await get(proxied), 200);
  assert.equal(await get(custom), 403);
  assert.deepEqual(blocked, [1]);
}
