import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventFromObject, MAX_ATTRS_DEPTH, MAX_EVENT_BYTES } from './event-object.ts';

const base = { type: 'auth.login_failed', ts: '2026-03-02T08:00:00Z', ip: '203.0.113.9' };

function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

test('attrs nested 20,000 levels is refused with the reason, without recursing', () => {
  const r = eventFromObject({ ...base, attrs: nested(20_000) });
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /nest at most 8 levels/);
  // the same through an unknown top-level field (kept in attrs)
  const deepArray: unknown[] = [];
  let cur = deepArray;
  for (let i = 0; i < 20_000; i++) cur.push((cur = []));
  const r2 = eventFromObject({ ...base, extra: deepArray });
  assert.equal(r2.ok, false);
});

test('depth limit is exact: 8 levels kept, 9 refused', () => {
  const ok = eventFromObject({ ...base, attrs: nested(MAX_ATTRS_DEPTH) });
  assert.equal(ok.ok, true);
  assert.deepEqual((ok as { event: { attrs: unknown } }).event.attrs, nested(MAX_ATTRS_DEPTH));
  assert.equal(eventFromObject({ ...base, attrs: nested(MAX_ATTRS_DEPTH + 1) }).ok, false);
});

test('size limit: a 16 KB event is refused, in attrs or in a known field', () => {
  const big = 'x'.repeat(MAX_EVENT_BYTES);
  for (const e of [
    { ...base, message: big },
    { ...base, attrs: { note: big } },
    { ...base, note: big },
    { ...base, attrs: { [big]: 1 } },
  ]) {
    const r = eventFromObject(e);
    assert.equal(r.ok, false, JSON.stringify(Object.keys(e)));
    assert.match((r as { error: string }).error, /at most 16 KB/);
  }
  // just under: accepted, and its JSON really is under the limit
  const fits = { ...base, attrs: { note: 'y'.repeat(MAX_EVENT_BYTES - 400) } };
  assert.equal(eventFromObject(fits).ok, true);
  assert.ok(JSON.stringify(fits).length < MAX_EVENT_BYTES);
});

test('many small values are bounded too', () => {
  const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
  assert.equal(eventFromObject({ ...base, attrs: wide }).ok, false);
});

/** Seeded generator (mulberry32): the same cases on every run, so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 12 ? 6 : 9));
  const str = () => String.fromCharCode(...Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 0xffff)));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [Infinity, -0, NaN, 1e308, -1, 0.5, 2 ** 53, 599][Math.floor(r() * 8)];
    case 3:
      return str();
    case 4:
      return ['2026-03-02T08:00:00Z', '203.0.113.9', '::1', '999.1.1.1', '', 'a'.repeat(20_000)][Math.floor(r() * 6)];
    case 5:
      return undefined;
    case 6:
    case 7:
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [str(), randomValue(r, depth + 1)]));
    default:
      return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
  }
}

test('fuzz: 10,000 random objects never throw; every accepted event is small, shallow and serializable', () => {
  const r = rng(17);
  const fields = ['type', 'ts', 'ip', 'user_id', 'method', 'route', 'status', 'bytes', 'user_agent', 'latency_ms', 'message', 'attrs', 'x'];
  let accepted = 0;
  for (let i = 0; i < 10_000; i++) {
    const o: Record<string, unknown> = r() < 0.7 ? { ...base } : {};
    for (const f of fields) if (r() < 0.3) o[f] = randomValue(r, r() < 0.2 ? 0 : 10);
    const res = eventFromObject(r() < 0.05 ? randomValue(r, 0) : o);
    if (!res.ok) {
      assert.equal(typeof res.error, 'string');
      assert.ok(res.error.length > 0);
      continue;
    }
    accepted++;
    const json = JSON.stringify(res.event);
    assert.ok(json.length <= MAX_EVENT_BYTES * 3, `accepted event of ${json.length} bytes`); // UTF-16 escapes may triple
    assert.equal(typeof res.event.type, 'string');
    assert.ok(Number.isSafeInteger(res.event.tsUs));
  }
  assert.ok(accepted > 200, `the generator must also produce valid events (got ${accepted})`);
});
