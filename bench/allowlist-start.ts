// Start-up with a large allowlist (issue "Faults", item 5: 274,413 entries
// took 92 s to start). Writes a configuration file with 274,413 entries
// (IPv4 /32, /24 and IPv6 /48, /64, as cloud and partner range lists are),
// then times, on the embedded PostgreSQL in a fresh data directory:
// loading the configuration, building the allowlist index, a whole
// createFirebreak (start-up to ready, with 2,000 live bans to check), and
// lookups against the index.
//
//   node --import tsx bench/allowlist-start.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createFirebreak } from '../src/main.ts';
import { fixedAllowlistIndex } from '../src/respond/allowlist-match.ts';
import { canonicalCidr } from '../src/respond/decision-target.ts';

const ENTRIES = 274_413;
const ADMIN = 'bench-admin-token-0123456789abcdef0123456789';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export async function main(): Promise<Record<string, number>> {
  const r = rng(7);
  const hex = () => (r() & 0xffff).toString(16);
  const entries: string[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const k = r() % 10;
    const v4 = `${1 + (r() % 222)}.${r() & 255}.${r() & 255}`;
    if (k < 5) entries.push(`${v4}.${1 + (r() % 254)}`);
    else if (k < 8) entries.push(`${v4}.0/24`);
    else if (k < 9) entries.push(`2a0${r() % 10}:${hex()}:${hex()}::/48`);
    else entries.push(`2a0${r() % 10}:${hex()}:${hex()}:${hex()}::/64`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-allowlist-bench-'));
  const file = path.join(dir, 'firebreak.yaml');
  writeFileSync(file, `allowlist:\n${entries.map((e) => `  - ${e}\n`).join('')}`);
  try {
    let t = performance.now();
    const config = loadConfig({
      file,
      env: { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent' },
    });
    const configMs = performance.now() - t;
    t = performance.now();
    const index = fixedAllowlistIndex(config.allowlist);
    const indexMs = performance.now() - t;

    // First start: creates the database; then 2,000 live bans; the second start is the one measured.
    let fb = await createFirebreak(config, { logger: pino({ level: 'silent' }), background: false });
    for (let i = 0; i < 2000; i++) {
      const ip = `${1 + (r() % 222)}.${r() & 255}.${r() & 255}.${1 + (r() % 254)}`;
      await fb.app.inject({
        method: 'POST',
        url: '/api/v1/decisions',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ scope: 'ip', value: ip }),
      });
    }
    await fb.close();
    t = performance.now();
    fb = await createFirebreak(config, { logger: pino({ level: 'silent' }), background: false });
    const startMs = performance.now() - t;
    await fb.close();

    const targets = Array.from({ length: 200_000 }, () => canonicalCidr(`${1 + (r() % 222)}.${r() & 255}.${r() & 255}.${r() & 255}`)!);
    t = performance.now();
    let hits = 0;
    for (const c of targets) if (index.find(c)) hits++;
    const nsPerLookup = ((performance.now() - t) * 1e6) / targets.length;

    const out = {
      entries: ENTRIES,
      config_ms: Math.round(configMs),
      index_ms: Math.round(indexMs),
      start_ms: Math.round(startMs),
      ns_per_lookup: Math.round(nsPerLookup),
    };
    console.log(`  ${ENTRIES.toLocaleString('en')} allowlist entries`);
    console.log(`  configuration loaded and validated: ${out.config_ms} ms; index built: ${out.index_ms} ms (${index.size} entries)`);
    console.log(`  createFirebreak to ready (embedded, 2,000 live bans checked): ${out.start_ms} ms`);
    console.log(`  lookup: ${out.ns_per_lookup} ns per address (${hits} of ${targets.length} allowlisted)`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
