/**
 * A deterministic attack mix for cluster tests and the cluster bench: brute
 * forces from a skewed pool of addresses, logins of one user from several
 * addresses, a request flood from one address, bursts of server errors and
 * a slow phase, with microsecond timestamps. Events are in time order.
 */
import { formatTsUs } from '../../src/domain/time.ts';

export interface MixEvent {
  type: string;
  ts: string;
  ip?: string;
  user_id?: string;
  route?: string;
  status?: number;
  latency_ms?: number;
}

/** Park–Miller: the same sequence for the same seed, on every run. */
function prng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

export function attackMix(n: number, seed = 42, startUs = Date.UTC(2026, 2, 2, 8, 0, 0) * 1000): MixEvent[] {
  const rnd = prng(seed);
  const out: MixEvent[] = [];
  let t = startUs;
  const ip = (pool: number, skew: number) => `203.0.${Math.floor(rnd() ** skew * pool) >> 8}.${Math.floor(rnd() ** skew * pool) % 256}`;
  for (let i = 0; i < n; i++) {
    const phase = i / n;
    const flood = phase > 0.35 && phase < 0.55;
    t += flood ? 5_000 + Math.floor(rnd() * 10_000) : 20_000 + Math.floor(rnd() * 300_000);
    const ts = formatTsUs(t);
    const r = rnd();
    if (flood && r < 0.85) {
      out.push({ type: 'http.request', ts, ip: '198.51.100.66', route: '/search', status: 200, latency_ms: 20 + Math.floor(rnd() * 50) });
    } else if (r < 0.35) {
      out.push({ type: 'auth.login_failed', ts, ip: ip(60, 3), user_id: `u${Math.floor(rnd() * 30)}` });
    } else if (r < 0.45) {
      out.push({ type: 'auth.login_succeeded', ts, ip: ip(400, 1), user_id: `u${Math.floor(rnd() ** 2 * 20)}` });
    } else if (r < 0.95) {
      const slow = phase > 0.7 && phase < 0.8;
      out.push({
        type: 'http.request',
        ts,
        ip: ip(200, 2),
        route: ['/', '/login', '/api/items'][Math.floor(rnd() * 3)]!,
        status: rnd() < (phase > 0.6 && phase < 0.65 ? 0.5 : 0.02) ? 503 : 200,
        latency_ms: slow ? 1500 + Math.floor(rnd() * 2000) : 10 + Math.floor(rnd() * 200),
      });
    } else {
      out.push({ type: 'app.error', ts, route: '/api/items' });
    }
  }
  return out;
}
