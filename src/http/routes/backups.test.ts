import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { verifyBackupFile } from '../../service/backup/verify-backup.ts';

for (const backend of testBackends()) {
  describe(`backups API (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend);
      await t.call('POST', '/api/v1/incidents', { type: 'backup_api', severity: 'low', title: 'something to back up' });
    });
    after(() => t.close());
    const dir = () => path.join(t.config.data_dir, 'backups');

    test('admins only', async () => {
      const responder = await t.makeToken('responder', 'r');
      for (const [method, url] of [
        ['POST', '/api/v1/backups'],
        ['GET', '/api/v1/backups'],
        ['GET', '/api/v1/backups/export'],
      ] as const) {
        assert.equal((await t.call(method, url, undefined, responder)).status, 403, `${method} ${url}`);
        assert.equal((await t.call(method, url, undefined, null)).status, 401, `${method} ${url}`);
      }
    });

    test('POST writes a backup into <data_dir>/backups; GET lists it', async () => {
      const r = await t.call('POST', '/api/v1/backups');
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(path.dirname(r.body.path), dir());
      assert.ok(r.body.tables.some((x: { name: string; rows: number }) => x.name === 'incidents' && x.rows === 1));
      const v = await verifyBackupFile(r.body.path);
      assert.equal(v.manifest.total_rows, r.body.total_rows);
      const list = await t.call('GET', '/api/v1/backups');
      assert.deepEqual(
        list.body.items.map((b: { file: string }) => b.file),
        [r.body.file],
      );
      const audit = await t.fb.deps.db.query<{ action: string; target: string }>(
        `SELECT action, target FROM audit_log WHERE action LIKE 'backup.%'`,
      );
      assert.deepEqual(audit.rows, [{ action: 'backup.create', target: r.body.file }]);
    });

    test('GET /export streams a fresh backup and leaves no file behind', async () => {
      const before = readdirSync(dir()).sort();
      const res = await t.fb.app.inject({
        method: 'GET',
        url: '/api/v1/backups/export',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/gzip');
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="firebreak-backup-.*\.tar\.gz"$/);
      assert.equal(Number(res.headers['content-length']), res.rawPayload.length);
      const file = path.join(t.tdb.dataDir, '..', `${path.basename(t.tdb.dataDir)}-download.tar.gz`);
      writeFileSync(file, res.rawPayload);
      const v = await verifyBackupFile(file);
      assert.equal(String(v.manifest.total_rows), res.headers['x-firebreak-backup-rows']);
      assert.deepEqual(readdirSync(dir()).sort(), before, 'the temporary export file is gone');
    });
  });
}
