// nginx and Apache logs through replay with the default rules: the `main` format behind a trusted
// proxy keys on the real client; an Apache %D log does not fire performance_degradation; a burst of
// basic-auth failures in the error log opens brute_force_attempt; 404 probing fires scanner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayFiles, type ReplayOptions } from './replay.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import type { Detection } from '../domain/event.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-replay-nginx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function replay(name: string, lines: string[], opts: Partial<ReplayOptions>): Promise<Detection[]> {
  const f = path.join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  const got: Detection[] = [];
  const s = await replayFiles({ files: [f], format: 'nginx', rules: resolveRules({}), onDetection: (d) => got.push(d), ...opts });
  assert.equal(s.skipped, 0, JSON.stringify(s.skipReasons));
  return got;
}

const t = (i: number) => `10/Oct/2026:13:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000`;

test('nginx main format behind a trusted proxy: events key on the real client, never on a forged X-Forwarded-For', async () => {
  // The client forges 192.0.2.66 at the left; the load balancer 10.0.0.5 appends the real client 203.0.113.50.
  const lines = Array.from(
    { length: 25 },
    (_, i) => `10.0.0.5 - - [${t(i)}] "GET /wp-login.php HTTP/1.1" 404 153 "-" "zgrab/0.x" "192.0.2.66, 203.0.113.50"`,
  );
  const got = await replay('main.log', lines, { parser: { logFormat: 'main', trustedProxies: ['10.0.0.0/8'] } });
  assert.deepEqual(
    got.map((d) => `${d.rule} ${d.key}`),
    ['scanner ip:203.0.113.50'],
  );
  // Without trusted_proxies the proxy itself is the client (nothing from the header is believed).
  const raw = await replay('main2.log', lines, { parser: { logFormat: 'main' } });
  assert.deepEqual(
    raw.map((d) => `${d.rule} ${d.key}`),
    ['scanner ip:10.0.0.5'],
  );
});

test('Apache %D (microseconds) is a latency only where the format says so', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `198.51.100.${i} - - [${t(i)}] "GET /slow HTTP/1.1" 200 512 "-" "curl/8" 5000000`);
  // Read as plain combined (the default): the trailing number is not a request time.
  assert.deepEqual(await replay('apache.log', lines, {}), []);
  // Read with its own format: 5,000,000 µs = 5 s, above the 2 s p95.
  const withD = await replay('apache2.log', lines, { parser: { logFormat: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D' } });
  assert.deepEqual(
    withD.map((d) => [d.rule, d.value]),
    [['performance_degradation', 5000]],
  );
  const fast = lines.map((l) => l.replace(/ 5000000$/, ' 1500'));
  assert.deepEqual(await replay('apache3.log', fast, { parser: { logFormat: 'apache_combined' } }), []);
});

test('nginx error log: a burst of basic-auth failures opens brute_force_attempt; limit_req rejections are events', async () => {
  const lines = [
    ...[1, 2, 3].map(
      (i) =>
        `2026/10/10 13:00:0${i} [error] 811#811: *${i} user "admin": password mismatch, client: 203.0.113.77, server: example.com, request: "GET /admin/ HTTP/1.1", host: "example.com"`,
    ),
    ...[4, 5].map(
      (i) =>
        `2026/10/10 13:00:0${i} [error] 811#811: *${i} user "root" was not found in "/etc/nginx/.htpasswd", client: 203.0.113.77, server: example.com, request: "GET /admin/ HTTP/1.1", host: "example.com"`,
    ),
    '2026/10/10 13:00:06 [error] 811#811: *9 limiting requests, excess: 10.500 by zone "one", client: 198.51.100.4, server: example.com, request: "GET /api HTTP/1.1", host: "example.com"',
    '2026/10/10 13:00:07 [notice] 811#811: signal process started',
  ];
  const f = path.join(dir, 'error.log');
  writeFileSync(f, lines.join('\n') + '\n');
  const got: Detection[] = [];
  const s = await replayFiles({ files: [f], format: 'nginx-error', rules: resolveRules({}), onDetection: (d) => got.push(d) });
  assert.deepEqual(
    got.map((d) => `${d.rule} ${d.key} ${d.value}`),
    ['brute_force_attempt ip:203.0.113.77 5'],
  );
  assert.deepEqual([s.parsed, s.ignored, s.skipped], [6, 1, 0]);
});
