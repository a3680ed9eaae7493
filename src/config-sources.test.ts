// The `sources:` section (docs/configuration.md, docs/log-sources.md): per-format options are
// validated where they are read; every problem is reported with its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'fb-config-sources-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const write = (text: string) => {
  const f = path.join(dir, `${Math.random()}.yaml`);
  writeFileSync(f, text);
  return f;
};

test('sources: file and journald sources with their options', () => {
  const c = loadConfig({
    file: write(`sources:
  - { type: file, path: /var/log/auth.log, format: sshd, mode: aggressive, time_zone: Europe/Berlin }
  - { type: file, path: /var/log/nginx/access.log, format: nginx, log_format: main, trusted_proxies: [10.0.0.0/8, "2001:db8::/32"] }
  - { type: file, path: /var/log/nginx/error.log, format: nginx-error }
  - { type: journald }
`),
    env: {},
  });
  assert.deepEqual(c.sources[0], {
    type: 'file',
    path: '/var/log/auth.log',
    format: 'sshd',
    mode: 'aggressive',
    time_zone: 'Europe/Berlin',
  });
  assert.equal(c.sources[1]!.type === 'file' && c.sources[1]!.log_format, 'main');
  assert.deepEqual(c.sources[3], { type: 'journald', units: ['ssh.service', 'sshd.service'], journalctl: 'journalctl' });
});

test('sources: misplaced or invalid options are precise errors', () => {
  try {
    loadConfig({
      file: write(`sources:
  - { type: file, path: /a, format: nginx, mode: ddos }
  - { type: file, path: /b, format: sshd, time_zone: Mars/Olympus }
  - { type: file, path: /c, format: nginx, log_format: '$remote_user $status' }
  - { type: file, path: /d, format: nginx, trusted_proxies: [proxy.local] }
  - { type: journald, units: [] }
  - { type: file, path: /e, format: sshd, mode: paranoid }
`),
      env: {},
    });
    assert.fail('expected invalid');
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    const got = (err.details ?? []).map((d) => `${d.path}: ${d.message}`).join('\n');
    assert.match(got, /sources\[0\]\.mode: only for format sshd/);
    assert.match(got, /sources\[1\]\.time_zone: unknown time zone/);
    assert.match(got, /sources\[2\]\.log_format: the format has no client address/);
    assert.match(got, /sources\[3\]\.trusted_proxies\[0\]: not an address or CIDR/);
    assert.match(got, /sources\[4\]\.units: Too small/);
    assert.match(got, /sources\[5\]\.mode: Invalid option/);
  }
});
