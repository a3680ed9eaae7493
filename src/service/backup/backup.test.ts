// Backup → fresh empty database → restore gives back every table byte for
// byte (an export comparison), on both storage modes and across them; a
// damaged backup is refused and nothing changes; a failing restore rolls back.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { createTestDatabase, testBackends, type Backend, type TestDatabase } from '../../store/test-databases.ts';
import { dumpDatabase, countRows } from '../../store/backup-dump.ts';
import type { Db } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { createBus, SYSTEM, type Actor } from '../core/context.ts';
import { openIncident } from '../incidents/open-incident.ts';
import { createBackup, type BackupResult } from './create-backup.ts';
import { verifyBackupFile } from './verify-backup.ts';
import { restoreBackup } from './restore-backup.ts';
import { readArchive, createArchiveWriter } from './archive.ts';
import { MANIFEST_FILE, type BackupManifest } from '../../domain/backup-manifest.ts';

const OPERATOR: Actor = { id: 'cli:test', name: 'test', role: 'system' };

/** Every table as its NDJSON text, plus the sequences: what "byte for byte" is compared on. */
async function exportAll(db: Db): Promise<{ tables: Map<string, string>; sequences: Map<string, string> }> {
  const tables = new Map<string, string>();
  const dump = await dumpDatabase(db, { part: async () => {}, partBytes: Number.MAX_SAFE_INTEGER });
  const texts: string[] = [];
  await dumpDatabase(db, { part: async (_f, data) => void texts.push(data.toString('utf8')), partBytes: Number.MAX_SAFE_INTEGER });
  dump.tables.forEach((t, i) => tables.set(t.name, texts[i]!));
  return { tables, sequences: new Map(dump.sequences.map((s) => [s.name, `${s.last_value}/${s.is_called}`])) };
}

/** Rewrites an archive, changing the manifest (and optionally a part) while keeping every checksum consistent. */
async function rewrite(src: string, dst: string, edit: (m: BackupManifest, parts: Map<string, Buffer>) => void): Promise<void> {
  const entries: { name: string; data: Buffer }[] = [];
  for await (const e of readArchive(createReadStream(src))) entries.push(e);
  const manifest = JSON.parse(entries.pop()!.data.toString('utf8')) as BackupManifest;
  const parts = new Map(entries.map((e) => [e.name, e.data]));
  edit(manifest, parts);
  const { createHash } = await import('node:crypto');
  for (const t of manifest.tables)
    for (const p of t.parts) {
      const data = parts.get(p.file)!;
      p.sha256 = createHash('sha256').update(data).digest('hex');
      p.bytes = data.length;
    }
  const w = createArchiveWriter(createWriteStream(dst), Date.now());
  for (const [name, data] of parts) await w.add(name, data);
  await w.add(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest)));
  await w.finish();
}

for (const backend of testBackends()) {
  describe(`backup and restore (${backend})`, () => {
    let t: TestFirebreak;
    let backup: BackupResult;
    let original: Awaited<ReturnType<typeof exportAll>>;
    const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-backup-test-'));
    const fresh: TestDatabase[] = [];
    /** A new, empty database (migrated, as a started Firebreak leaves it; the server ones start without any schema). */
    const freshDb = async (b: Backend = backend, migrated = true) => {
      const tdb = await createTestDatabase(b);
      fresh.push(tdb);
      const db = await tdb.open();
      if (migrated) await migrate(db);
      return { tdb, db };
    };
    let now = new Date('2026-03-02T08:00:00.000Z');
    const secrets: string[] = [];

    before(async () => {
      t = await startTestFirebreak(backend, { create: { clock: () => now } });
      const alice = await t.makeToken('responder', 'alice');
      const ingest = await t.makeToken('ingest', 'web-app');
      secrets.push(alice, ingest);
      const old = await t.call('POST', '/api/v1/tokens', { role: 'viewer', name: 'old' });
      await t.call('DELETE', `/api/v1/tokens/${old.body.id}`);
      // Detection from events (events, evidence, runbook run, timers) and hand-made incidents with awkward text.
      await t.call(
        'POST',
        '/api/v1/events',
        [0, 1, 2, 3, 4].map((s) => ({
          type: 'auth.login_failed',
          ts: `2026-03-02T07:59:5${s}.123456Z`,
          ip: '203.0.113.5',
          user_id: 'root',
        })),
        ingest,
      );
      await t.fb.pipeline.drain();
      await t.fb.pipeline.flush();
      const a = await t.call(
        'POST',
        '/api/v1/incidents',
        {
          type: 'data_corruption',
          severity: 'critical',
          title: 'Integrity — "orders" ✗ 🔥\nsecond line',
          description: 'tab\there, backslash \\ and NUL-free \u2028 separator',
        },
        alice,
      );
      await t.call('POST', `/api/v1/incidents/${a.body.id}/notes`, { text: 'restored from backup? {"json": [1, 2.50, null]}' }, alice);
      now = new Date(now.getTime() + 20 * 60_000);
      await t.fb.scheduler.tick();
      await t.call('POST', `/api/v1/incidents/${a.body.id}/acknowledge`, {}, alice);
      await t.call('POST', `/api/v1/incidents/${a.body.id}/resolve`, { note: 'done' }, alice);
      await t.fb.afterIncident.settled();
      await t.fb.scheduler.tick();
      const pm = (await t.call('GET', `/api/v1/postmortems?incident_id=${a.body.id}`)).body.items[0];
      await t.call('PUT', `/api/v1/postmortems/${pm.id}`, { root_cause: 'A bad migration.', lessons: '- test restores' }, alice);
      await t.call(
        'POST',
        '/api/v1/action-items',
        { title: 'Test restores monthly', postmortem_id: pm.id, due: '2026-03-09T09:00:00Z', owner: 'alice' },
        alice,
      );
      const gone = await t.call('POST', '/api/v1/action-items', { title: 'deleted', incident_id: a.body.id }, alice);
      await t.call('DELETE', `/api/v1/action-items/${gone.body.id}`, undefined, alice); // a gap in the id sequence
      await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '198.51.100.23', duration: '4h', reason: 'manual' }, alice);
      await t.fb.runbooks.idle(); // background runbook work may still add a timer
      backup = await createBackup(t.fb.deps, OPERATOR, { output: path.join(dir, 'b.tar.gz') });
      original = await exportAll(t.fb.deps.db);
    });
    after(async () => {
      await t.close();
      for (const f of fresh) await f.destroy();
    });

    test('the backup lists every table with its rows, and verifies', async () => {
      const v = await verifyBackupFile(backup.path);
      const counts = await countRows(t.fb.deps.db);
      for (const [name, n] of Object.entries(counts)) assert.equal(v.manifest.tables.find((x) => x.name === name)?.rows, n, name);
      for (const name of [
        'incidents',
        'incident_timeline',
        'tokens',
        'audit_log',
        'postmortems',
        'action_items',
        'timers',
        'event_batches',
        'schema_migrations',
        'decisions',
      ]) {
        assert.ok(
          v.manifest.tables.some((x) => x.name === name),
          `${name} is in the backup`,
        );
        if (name !== 'decisions' || counts.decisions !== undefined)
          assert.ok((v.manifest.tables.find((x) => x.name === name)?.rows ?? 0) > 0 || name === 'decisions', `${name} has rows`);
      }
      assert.ok(
        v.manifest.tables.findIndex((x) => x.name === 'incidents') < v.manifest.tables.findIndex((x) => x.name === 'incident_timeline'),
        'referenced tables first',
      );
      assert.equal(v.manifest.source, backend);
      assert.equal(v.manifest.schema_version, Math.max(...v.manifest.migrations));
      for (const secret of secrets)
        for (const [name, text] of original.tables) assert.ok(!text.includes(secret), `no token secret in ${name}: only hashes`);
      assert.ok(original.tables.get('tokens')!.includes('"name":"alice"'));
    });

    test('backup → fresh empty database → restore: every table byte for byte', async () => {
      const { db } = await freshDb();
      const r = await restoreBackup({ db, config: { data_dir: dir }, clock: () => now }, OPERATOR, { file: backup.path });
      assert.equal(r.safety_backup, null, 'an empty database needs no safety backup');
      assert.deepEqual(r.upgraded, []);
      const restored = await exportAll(db);
      assert.deepEqual([...restored.tables.keys()], [...original.tables.keys()]);
      for (const [name, text] of original.tables) {
        if (name === 'audit_log') continue;
        assert.equal(restored.tables.get(name), text, `table ${name}`);
      }
      // The audit log is the original's plus the restore itself.
      const audit = restored.tables.get('audit_log')!;
      assert.ok(audit.startsWith(original.tables.get('audit_log')!));
      assert.match(audit.slice(original.tables.get('audit_log')!.length), /^\{[^\n]*"action":"backup.restore"[^\n]*\}\n$/);
      for (const [name, v] of original.sequences)
        if (name !== 'audit_log_id_seq') assert.equal(restored.sequences.get(name), v, `sequence ${name}`);
      // New rows continue after the restored ids.
      const deps = { db, config: t.config, clock: () => now, logger: pino({ level: 'silent' }), bus: createBus() };
      const maxId = Math.max(
        ...original.tables
          .get('incidents')!
          .trim()
          .split('\n')
          .map((l) => Number(JSON.parse(l).id)),
      );
      const inc = await openIncident(deps, SYSTEM, { type: 'after_restore', severity: 'low', title: 'new' });
      assert.equal(Number(inc.incident.id), maxId + 1);
      await db.close();
    });

    test('a non-empty database is refused without --force; with it, a safety backup first', async () => {
      const { db } = await freshDb();
      const deps = { db, config: { data_dir: dir }, clock: () => now };
      await openIncident({ ...deps, config: t.config, logger: pino({ level: 'silent' }), bus: createBus() }, SYSTEM, {
        type: 'local',
        severity: 'low',
        title: 'local data',
      });
      const before = await exportAll(db);
      await assert.rejects(restoreBackup(deps, OPERATOR, { file: backup.path }), /not empty \(.*1 incidents.*--force/s);
      assert.deepEqual(await exportAll(db), before, 'nothing changed');
      let safety: string | null = null;
      const r = await restoreBackup(deps, OPERATOR, { file: backup.path, force: true, onSafetyBackup: (b) => (safety = b.path) });
      assert.equal(r.safety_backup, safety);
      assert.ok(safety && existsSync(safety));
      assert.match(path.basename(safety), /^firebreak-pre-restore-.*\.tar\.gz$/);
      const s = await verifyBackupFile(safety);
      assert.equal(s.manifest.tables.find((x) => x.name === 'incidents')!.rows, 1, 'the safety backup holds what was replaced');
      assert.equal((await exportAll(db)).tables.get('incidents'), original.tables.get('incidents'));
      await db.close();
    });

    test('one flipped byte anywhere, or a cut-off tail, is refused and nothing changes', async () => {
      const bytes = readFileSync(backup.path);
      const { db } = await freshDb();
      const before = await exportAll(db);
      const cases: [string, Buffer, RegExp][] = [
        ['gzip header (mtime)', flip(bytes, 5), /gzip header/],
        ['gzip header (OS)', flip(bytes, 9), /gzip header/],
        ['first block', flip(bytes, 20), /corrupt|checksum|mismatch/],
        ['middle', flip(bytes, Math.floor(bytes.length / 2)), /corrupt|mismatch/],
        ['CRC trailer', flip(bytes, bytes.length - 6), /corrupt/],
        ['length trailer', flip(bytes, bytes.length - 1), /corrupt|truncated/],
        ['tail cut off', bytes.subarray(0, bytes.length - 100), /truncated/],
        ['half', bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated/],
        ['trailing garbage', Buffer.concat([bytes, Buffer.alloc(8)]), /unexpected bytes after the end/],
        ['not a backup', Buffer.from('hello'), /failed verification/],
      ];
      for (const [what, data, re] of cases) {
        const f = path.join(dir, `bad-${what.replace(/\W+/g, '-')}.tar.gz`);
        writeFileSync(f, data);
        await assert.rejects(verifyBackupFile(f), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'conflict', what);
          assert.match(err.message, /failed verification/, what);
          assert.match(err.message, re, `${what}: ${err.message}`);
          return true;
        });
        await assert.rejects(
          restoreBackup({ db, config: { data_dir: dir }, clock: () => now }, OPERATOR, { file: f, force: true }),
          /failed verification/,
          what,
        );
      }
      assert.deepEqual(await exportAll(db), before, 'nothing changed');
      await db.close();
    });

    test('a backup from a newer schema is refused; a failing load rolls back the whole restore', async () => {
      const { db } = await freshDb();
      const before = await exportAll(db);
      const deps = { db, config: { data_dir: dir }, clock: () => now };
      const newer = path.join(dir, 'newer.tar.gz');
      await rewrite(backup.path, newer, (m) => {
        m.migrations.push(999);
        m.schema_version = 999;
      });
      assert.equal((await verifyBackupFile(newer)).manifest.schema_version, 999, 'the archive itself is sound');
      await assert.rejects(restoreBackup(deps, OPERATOR, { file: newer }), /schema version 999, newer than this Firebreak/);
      const broken = path.join(dir, 'broken.tar.gz');
      await rewrite(backup.path, broken, (m, parts) => {
        const t = m.tables.find((x) => x.name === 'incident_timeline')!;
        const p = t.parts[0]!;
        parts.set(p.file, Buffer.from(parts.get(p.file)!.toString('utf8').replace('"kind":"note"', '"kind":null')));
      });
      await assert.rejects(restoreBackup(deps, OPERATOR, { file: broken }), /rolled back, the database is as it was/);
      assert.deepEqual(await exportAll(db), before, 'the schema and its (empty) tables are as they were');
      await db.close();
    });

    if (backend === 'embedded' && testBackends().includes('server')) {
      test('an embedded backup restores into a PostgreSQL server, byte for byte', async () => {
        const { db } = await freshDb('server', false);
        await restoreBackup({ db, config: { data_dir: dir }, clock: () => now }, OPERATOR, { file: backup.path });
        const restored = await exportAll(db);
        for (const [name, text] of original.tables)
          if (name !== 'audit_log') assert.equal(restored.tables.get(name), text, `table ${name}`);
        await db.close();
      });
    }
  });
}

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0x01;
  return c;
}
