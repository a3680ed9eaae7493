// `firebreak postmortem export|import` and `firebreak report` through the API
// of a listening test server, in-process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../test-harness.ts';
import { run } from './main.ts';
import { parsePostmortem } from '../domain/postmortem-markdown.ts';

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await run(['node', 'firebreak', ...args], { stdout, stderr, env });
  return { code, stdout: out, stderr: err };
}

describe('postmortem and report commands (embedded)', () => {
  let t: TestFirebreak;
  let env: Record<string, string>;
  let pmId: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-pm-cli-'));
  before(async () => {
    t = await startTestFirebreak('embedded', { configYaml: { server: { port: 0 } } });
    env = { FIREBREAK_URL: await t.fb.listen(), FIREBREAK_TOKEN: TEST_ADMIN_TOKEN };
    const inc = await t.call('POST', '/api/v1/incidents', { type: 'high_error_rate', severity: 'high', title: 'Errors after deploy 1234' });
    await t.call('POST', `/api/v1/incidents/${inc.body.id}/resolve`);
    await t.fb.afterIncident.settled();
    await t.fb.scheduler.tick();
    pmId = (await t.call('GET', `/api/v1/postmortems?incident_id=${inc.body.id}`)).body.items[0].id;
  });
  after(() => t.close());

  test('export → edit → import → export round trip', async () => {
    const file = path.join(dir, 'pm.md');
    const ex = await cli(['postmortem', 'export', pmId, '--output', file], env);
    assert.equal(ex.code, 0, ex.stderr);
    const exported = readFileSync(file, 'utf8');
    assert.equal(exported, (await t.call('GET', `/api/v1/postmortems/${pmId}/markdown`)).body);
    const stdoutExport = await cli(['postmortem', 'export', pmId], env);
    assert.equal(stdoutExport.stdout, exported, 'without --output it goes to stdout');

    const edited = exported
      .replace(/^# Post-mortem: .*$/m, '# Post-mortem: Errors after deploy 1234 (bad migration)')
      .replace('## Root cause\n\n_Not written yet._', '## Root cause\n\nMigration 0042 locked the orders table.')
      .replace(
        '## Lessons learned\n\n_Not written yet._',
        '## Lessons learned\n\n- Run migrations in a maintenance window.\n- Alert on lock waits.',
      );
    writeFileSync(file, edited);
    const im = await cli(['postmortem', 'import', pmId, file, '--status', 'in_review'], env);
    assert.equal(im.code, 0, im.stderr);
    const pm = (await t.call('GET', `/api/v1/postmortems/${pmId}`)).body;
    assert.equal(pm.title, 'Errors after deploy 1234 (bad migration)');
    assert.equal(pm.root_cause, 'Migration 0042 locked the orders table.');
    assert.equal(pm.lessons, '- Run migrations in a maintenance window.\n- Alert on lock waits.');
    assert.equal(pm.status, 'in_review');

    const again = (await cli(['postmortem', 'export', pmId], env)).stdout;
    assert.deepEqual(parsePostmortem(again), parsePostmortem(edited));
    const withoutHeader = (s: string) => s.replace(/^<!-- Firebreak post-mortem .*-->$/m, '').replace(/^\| Status \| .* \|$/m, '');
    assert.equal(withoutHeader(again), withoutHeader(edited), 'byte for byte but the version comment and the status row');

    // The old file is now stale: refused unless --force.
    const stale = await cli(['postmortem', 'import', pmId, file], env);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /changed by someone else/);
    assert.equal((await cli(['postmortem', 'import', pmId, file, '--force'], env)).code, 0);
    const wrong = await cli(['postmortem', 'import', '999', file], env);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /export of post-mortem/);
    const list = await cli(['postmortem', 'list', '--json'], env);
    assert.ok(JSON.parse(list.stdout).items.some((p: { id: string }) => p.id === pmId));
  });

  test('report prints the analytics as a table and as JSON', async () => {
    const json = await cli(['report', '--since', '1d', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const r = JSON.parse(json.stdout);
    assert.equal(r.totals.incidents, 1);
    assert.equal(r.totals.resolved, 1);
    const table = await cli(['report', '--since', '1d', '--group-by', 'severity'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^GROUP\s+INCIDENTS\s+OPEN\s+RESOLVED\s+MTTA\s+MTTR\s+SLA BREACHES\s+AUTOMATED$/m);
    assert.match(table.stdout, /^high\s+1\s+0\s+1\s/m);
    assert.match(table.stdout, /^TOTAL\s+1\s+0\s+1\s/m);
    assert.equal((await cli(['report', '--group-by', 'month'], env)).code, 2);
  });
});
