/** revoke_sessions: tell the application to end every session of the account. */
import { accountAction } from './account-webhook.ts';

export const revokeSessions = accountAction('revoke_sessions', { lockDecision: false });
