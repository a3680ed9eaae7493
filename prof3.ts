import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './test/support/process.ts';
const ADMIN = 'bench-admin-token-0123456789abcdef0123456789';
const dir = mkdtempSync(path.join(tmpdir(), 'fbp-'));
writeFileSync(path.join(dir, 'fb.yaml'), 'events: { store: none }\n');
const srv = await startServer({ cwd: dir, env: { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: dir, FIREBREAK_CONFIG: path.join(dir, 'fb.yaml') } });
let clockMs = Date.now() - 3_600_000;
function makeBatch(n: number, seed: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(seed + i) % 250}.${(i >> 8) & 255}.${i & 255}`;
    if (i % 10 === 0) clockMs++;
    lines.push(`{"type":"http.request","ts":"${new Date(clockMs).toISOString()}","ip":"${ip}","method":"GET","route":"/api/items","status":200,"latency_ms":${(i % 50) + 5}}`);
  }
  return lines.join('\n');
}
for (let k = 0; k < 5; k++) {
  const b = makeBatch(10000, k);
  const t0 = performance.now();
  const r = await fetch(`${srv.url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-ndjson' }, body: b });
  await r.text();
  console.log(r.status, (performance.now() - t0).toFixed(0), 'ms');
}
await srv.stop();
