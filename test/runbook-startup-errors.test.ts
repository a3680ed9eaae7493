// A broken runbook in runbooks_dir stops `firebreak serve` before anything
// starts: exit 2 and the problem as file:line:col with the reason. The same
// problems come out of `firebreak runbooks validate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from './support/process.ts';

const CASES: { name: string; yaml: string; line: number; message: RegExp }[] = [
  {
    name: 'malformed YAML',
    yaml: 'type: broken_yaml\ntitle: Broken\nseverity: high\nimmediate_actions:\n  - id: look\n    title: Look\n   manual: misindented\n',
    line: 7,
    message: /malformed YAML: Sequence item without - indicator/,
  },
  {
    name: 'an unknown action',
    yaml: 'type: unknown_action\ntitle: Unknown action\nseverity: high\nimmediate_actions:\n  - id: reboot\n    title: Reboot everything\n    action: reboot_everything\n',
    line: 7,
    message: /immediate_actions\[0\]\.action: unknown action "reboot_everything" \(known: block_ip, .*\)/,
  },
  {
    name: 'a check naming a missing probe',
    yaml: 'type: missing_probe\ntitle: Missing probe\nseverity: high\nverification:\n  - id: api-up\n    title: API is up\n    probe: api\n',
    line: 7,
    message: /verification\[0\]\.probe: unknown probe "api" \(known: db\)/,
  },
];

for (const c of CASES) {
  test(`serve refuses to start with ${c.name}: exit 2, file:line:col and the reason`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fb-bad-runbook-'));
    try {
      const runbooks = path.join(dir, 'runbooks');
      mkdirSync(runbooks);
      const file = path.join(runbooks, 'bad.yaml');
      writeFileSync(file, c.yaml);
      const dataDir = path.join(dir, 'data');
      const config = path.join(dir, 'firebreak.yaml');
      // One probe exists (db), so the missing one is reported with the list of known ones.
      writeFileSync(config, `runbooks_dir: ${runbooks}\ndata_dir: ${dataDir}\nprobes:\n  - { name: db, type: tcp, url: "127.0.0.1:1" }\n`);
      const env = { FIREBREAK_ADMIN_TOKEN: '', FIREBREAK_DATA_DIR: '', DATABASE_URL: '', FIREBREAK_CONFIG: '' };
      const r = await runCli(['serve', '--port', '0', '--config', config], { cwd: dir, env });
      assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
      assert.match(r.stderr, /invalid runbooks: 1 problem\(s\) in 1 file\(s\)/);
      const line = r.stderr.split('\n').find((l) => l.includes(file));
      assert.ok(line, r.stderr);
      assert.match(line, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${c.line}:\\d+: `));
      assert.match(line, c.message);
      assert.equal(existsSync(dataDir), false, 'runbooks are checked before the database is opened');

      const v = await runCli(['runbooks', 'validate', '--config', config], { cwd: dir, env });
      assert.equal(v.code, 2);
      assert.ok(v.stderr.includes(line.trim().replace(/^- /, '')), `validate reports the same problem:\n${v.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
