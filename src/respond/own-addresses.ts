/**
 * This server's own addresses, which no decision may cover
 * (src/domain/decision-guard.ts): every interface address and the listen
 * address. Read once per configuration (interfaces rarely change while
 * Firebreak runs; a restart reads them again).
 */
import os from 'node:os';
import { canonicalIp } from '../domain/ip.ts';
import type { DecisionGuard } from '../domain/decision-guard.ts';

export function serverAddresses(listenHost?: string): string[] {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) {
      const ip = canonicalIp(a.address.replace(/%.*$/, ''));
      if (ip) out.add(ip);
    }
  const host = listenHost ? canonicalIp(listenHost) : null;
  if (host && host !== '0.0.0.0' && host !== '::') out.add(host);
  return [...out];
}

const guards = new WeakMap<object, DecisionGuard>();

/** The guard for a configuration (`decisions.max_range`, `server.host`). */
export function decisionGuardFor(config: {
  decisions: { max_range: { ipv4: number; ipv6: number } };
  server: { host: string };
}): DecisionGuard {
  let g = guards.get(config);
  if (!g) guards.set(config, (g = { maxRange: config.decisions.max_range, ownAddresses: serverAddresses(config.server.host) }));
  return g;
}
