import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import type { ActionRunner } from '../service/runbooks/runbook-runtime.ts';
import type { NotifyReminder } from '../service/after-incident/reminder.ts';

/** How a caller (the CLI, tests) adjusts createFirebreak; the configuration is the rest. */
export interface CreateOptions {
  logger?: Logger;
  clock?: () => Date;
  /** Open this database instead of the configured one (tests). */
  db?: Db;
  schedulerIntervalMs?: number;
  /** Start background loops (scheduler…); tests may drive them by hand. */
  background?: boolean;
  /** Time between verification rounds of an incident's runbook checks (default 10 s). */
  verifyIntervalMs?: number;
  /** Delay before a new runbook run's action steps, so the opener's own actions go first (default 5 s). */
  runbookActionGraceMs?: number;
  /** Runs runbook `action` steps (default: runIncidentActions). */
  actionRunner?: ActionRunner;
  /** Sends post-mortem and action-item reminders (default: logged). */
  notifyReminder?: NotifyReminder;
}
