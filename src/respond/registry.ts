/**
 * The one place that lists the actions Firebreak can take by itself. Adding
 * an action = one file beside this one + one line here. `run_command` is
 * not here on purpose: commands run only as approved runbook steps.
 */
import type { Action } from './action.ts';
import { blockIp } from './block-ip.ts';
import { rateLimit } from './rate-limit.ts';
import { lockAccount } from './lock-account.ts';
import { revokeSessions } from './revoke-sessions.ts';
import { forcePasswordReset } from './force-password-reset.ts';
import { notify } from './notify.ts';
import { protectAccount } from './protect-account.ts';
import { webhook } from './webhook.ts';

export type ActionRegistry = ReadonlyMap<string, Action>;

export const ACTIONS: ActionRegistry = new Map(
  [blockIp, rateLimit, lockAccount, revokeSessions, forcePasswordReset, protectAccount, notify, webhook].map((a) => [a.name, a]),
);
