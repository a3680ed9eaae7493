// The real Prometheus Alertmanager (Debian's prometheus-alertmanager) sends
// its webhook to a real `firebreak serve`: an alert posted to Alertmanager's
// own API opens an incident; the same alert with endsAt in the past resolves
// it. If Alertmanager cannot run here, this test fails: it never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../src/store/test-databases.ts';
import { freePort, startServer } from './support/process.ts';
import { waitFor } from './support/sinks.ts';

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const ADMIN = 'e2e-admin-token-0123456789abcdef0123456789';

async function startAlertmanager(configFile: string, storage: string): Promise<{ url: string; proc: ChildProcess; output: () => string }> {
  const port = await freePort();
  const proc = spawn(
    ALERTMANAGER,
    [`--config.file=${configFile}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let failed: Error | null = null;
  proc.on('error', (err) => (failed = err));
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'Alertmanager to be ready',
    async () => {
      if (failed) throw new Error(`cannot run ${ALERTMANAGER}: ${(failed as Error).message}`);
      if (proc.exitCode !== null) throw new Error(`Alertmanager exited with ${proc.exitCode}:\n${out}`);
      return fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    },
    20_000,
    100,
  );
  return { url, proc, output: () => out };
}

test('Alertmanager → Firebreak: firing opens an incident, resolved resolves it', async () => {
  const tdb = await createTestDatabase('embedded');
  const work = mkdtempSync(path.join(tmpdir(), 'firebreak-am-'));
  const env = { FIREBREAK_ADMIN_TOKEN: ADMIN, FIREBREAK_DATA_DIR: tdb.dataDir };
  const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const srv = await startServer({ cwd: tdb.dataDir, env });
  let am: Awaited<ReturnType<typeof startAlertmanager>> | undefined;
  try {
    const integ = (await (
      await fetch(`${srv.url}/api/v1/integrations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'prometheus', type: 'alertmanager' }),
      })
    ).json()) as { key: string };
    const amConfig = path.join(work, 'alertmanager.yml');
    writeFileSync(
      amConfig,
      [
        'global:',
        '  resolve_timeout: 10s',
        'route:',
        '  receiver: firebreak',
        '  group_by: [alertname]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: firebreak',
        '    webhook_configs:',
        `      - url: ${srv.url}/api/v1/integrations/alertmanager/${integ.key}`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    am = await startAlertmanager(amConfig, path.join(work, 'storage'));
    const alert = (endsAt: Date) => [
      {
        labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout' },
        annotations: { summary: 'Error rate above 5% on checkout', runbook_url: 'https://runbooks.example.com/high-error-rate' },
        startsAt: new Date(Date.now() - 10_000).toISOString(),
        endsAt: endsAt.toISOString(),
        generatorURL: 'http://prometheus.example.com/graph',
      },
    ];
    const post = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert(new Date(Date.now() + 3_600_000))),
    });
    assert.equal(post.status, 200, await post.text());

    type Inc = {
      id: string;
      type: string;
      severity: string;
      status: string;
      dedup_key: string;
      title: string;
      attrs: Record<string, unknown>;
      resolved_by: string | null;
    };
    const find = async () =>
      ((await (await fetch(`${srv.url}/api/v1/incidents`, { headers })).json()) as { items: Inc[] }).items.find((i) =>
        i.dedup_key?.startsWith('am:'),
      );
    const opened = await waitFor('the incident to open', find, 30_000, 200);
    assert.equal(opened.type, 'high_error_rate');
    assert.equal(opened.severity, 'critical');
    assert.equal(opened.status, 'triggered');
    assert.equal(opened.title, 'Error rate above 5% on checkout');
    assert.equal(opened.attrs.runbook_url, 'https://runbooks.example.com/high-error-rate');

    const resolve = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert(new Date(Date.now() - 1000))),
    });
    assert.equal(resolve.status, 200);
    const resolved = await waitFor(
      'the incident to resolve',
      async () => {
        const i = await find();
        return i?.status === 'resolved' ? i : null;
      },
      30_000,
      200,
    );
    assert.equal(resolved.id, opened.id, 'the same incident');
    assert.equal(resolved.resolved_by, 'integration:prometheus');
    const all = ((await (await fetch(`${srv.url}/api/v1/incidents`, { headers })).json()) as { items: Inc[] }).items.filter((i) =>
      i.dedup_key?.startsWith('am:'),
    );
    assert.equal(all.length, 1, 'one incident for the alert group');
    assert.doesNotMatch(srv.output(), new RegExp(integ.key), 'the key never appears in the log');
  } catch (err) {
    if (am) (err as Error).message += `\n--- alertmanager output ---\n${am.output().slice(-3000)}`;
    throw err;
  } finally {
    am?.proc.kill('SIGTERM');
    await srv.stop();
    rmSync(work, { recursive: true, force: true });
    await tdb.destroy();
  }
});
