/**
 * protect_account: tell the application its account is under a credential
 * stuffing attack, so it asks for step-up authentication (a second factor,
 * a captcha, an e-mailed link) on the next sign-ins. No lock: the owner can
 * still sign in.
 */
import { accountAction } from './account-webhook.ts';

export const protectAccount = accountAction('protect_account', { lockDecision: false });
