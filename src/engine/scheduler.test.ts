import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { AppError } from '../errors.ts';
import { createTestDatabase, testBackends } from '../store/test-databases.ts';
import { migrate } from '../store/migrate.ts';
import { scheduleTimer } from '../store/timer-repo.ts';
import { createScheduler } from './scheduler.ts';

// A handler that loses a race (deadlock, serialization conflict) is run again at once, in the same
// tick, not deferred a minute. Db.tx retries such transactions on the server backend (the embedded
// database has one session and never deadlocks), so this runs there (TEST_DATABASE_URL, as in CI).
if (testBackends().includes('server'))
  test('a timer whose handler loses a deadlock fires in the same tick (server)', async () => {
    const tdb = await createTestDatabase('server');
    const db = await tdb.open();
    await migrate(db);
    try {
      const now = new Date('2026-03-02T09:00:00Z');
      await scheduleTimer(db, { kind: 'race', ref: 'r1', dueAt: new Date(now.getTime() - 1000), now });
      let calls = 0;
      const scheduler = createScheduler({
        db,
        clock: () => now,
        logger: pino({ level: 'silent' }),
        handlers: {
          race: async () => {
            calls++;
            if (calls === 1)
              throw new AppError('internal', 'database: deadlock detected', {
                cause: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
              });
          },
        },
      });
      await scheduler.tick();
      assert.equal(calls, 2, 'run again after the lost race');
      assert.equal(scheduler.status().fired, 1);
      const row = (
        await db.query<{ fired: boolean; attempts: number }>(
          `SELECT fired_at IS NOT NULL AS fired, attempts FROM timers WHERE kind = 'race'`,
        )
      ).rows[0]!;
      assert.deepEqual(row, { fired: true, attempts: 1 });
    } finally {
      await db.close();
      await tdb.destroy();
    }
  });
