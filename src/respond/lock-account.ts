/** lock_account: tell the application to lock the account, and record a `lock` decision for `user:<id>`. */
import { accountAction } from './account-webhook.ts';

export const lockAccount = accountAction('lock_account', { lockDecision: true });
