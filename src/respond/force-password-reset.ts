/** force_password_reset: tell the application to require a new password at the next sign-in. */
import { accountAction } from './account-webhook.ts';

export const forcePasswordReset = accountAction('force_password_reset', { lockDecision: false });
