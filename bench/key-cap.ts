// The rule engine at its key cap (issue "Faults", item 5): 1.2 M distinct
// addresses, one request each within a minute of event time, then a
// 700-request flood from a new address. Prints the time for the 1.2 M events,
// the table's figures, and the processing time until the flood is detected.
//
//   node --import tsx bench/key-cap.ts
import { pathToFileURL } from 'node:url';
import { RuleEngine } from '../src/domain/rules/rule-engine.ts';
import { resolveRules } from '../src/domain/rules/default-rules.ts';
import type { FbEvent } from '../src/domain/event.ts';

const N = 1_200_000;
const T0 = Date.UTC(2026, 2, 2, 8) * 1000;

export async function main(): Promise<Record<string, number>> {
  const engine = new RuleEngine(resolveRules({}).filter((r) => r.name === 'ddos'));
  // Addresses built first, as a parser hands them over (flat strings).
  const ips = Array.from({ length: N }, (_, n) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
  const ev: FbEvent = { type: 'http.request', tsUs: 0, ip: '' };
  let t = performance.now();
  for (let n = 0; n < N; n++) {
    ev.tsUs = T0 + Math.floor((n * 50_000_000) / N);
    ev.ip = ips[n]!;
    engine.process(ev);
  }
  const burstMs = performance.now() - t;
  const st = engine.stats();
  t = performance.now();
  let detectedAt = 0;
  for (let i = 0; i < 700 && detectedAt === 0; i++) {
    ev.tsUs = T0 + 50_000_000 + i * 7_000;
    ev.ip = '198.51.100.77';
    if (engine.process(ev).length > 0) detectedAt = i + 1;
  }
  const floodMs = performance.now() - t;
  const out = {
    distinct_addresses: N,
    burst_ms: Math.round(burstMs),
    ns_per_new_key: Math.round((burstMs * 1e6) / N),
    keys: st.keys,
    dropped_keys: st.droppedKeys,
    flood_detected_at_request: detectedAt,
    flood_processing_ms: Math.round(floodMs * 1000) / 1000,
  };
  console.log(`  ${N.toLocaleString('en')} distinct addresses: ${out.burst_ms} ms (${out.ns_per_new_key} ns per new key)`);
  console.log(`  keys held ${st.keys.toLocaleString('en')}, live keys evicted at the cap ${st.droppedKeys.toLocaleString('en')}`);
  console.log(
    `  new 700-request flood: ${detectedAt ? `detected at request ${detectedAt}` : 'NOT DETECTED'}, ${out.flood_processing_ms} ms of processing`,
  );
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
