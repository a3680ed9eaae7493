import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from './backoff.ts';
import { actionId } from './action-id.ts';

test('retry delays double, honour Retry-After, stay under the maximum', () => {
  const p = { retry_base: 1000, retry_max: 60_000 };
  const none = () => 0;
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(a, p, undefined, none)),
    [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000],
  );
  assert.equal(
    retryDelayMs(1, p, undefined, () => 1),
    1200,
    'up to 20 % jitter',
  );
  assert.equal(retryDelayMs(1, p, 30_000, none), 30_000);
  assert.equal(retryDelayMs(1, p, 600_000, none), 60_000);
});

test('action ids are deterministic and change with each part', () => {
  const base = { incidentId: '7', step: 'block_ip', action: 'block_ip', target: 'ip:203.0.113.5', reopenCount: 0 };
  const id = actionId(base);
  assert.match(id, /^act_[0-9a-f]{32}$/);
  assert.equal(actionId({ ...base }), id);
  for (const change of [{ incidentId: '8' }, { step: 'block-ip' }, { target: 'ip:203.0.113.6' }, { reopenCount: 1 }])
    assert.notEqual(actionId({ ...base, ...change }), id);
});
