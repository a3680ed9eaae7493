/**
 * Dependencies of the response verbs (decisions, allowlist, actions): the
 * common Deps plus the response runtime main.ts builds (action registry,
 * outbound HTTP, notify hook, background work).
 */
import type { Deps } from '../core/context.ts';
import type { ResponseRuntime } from '../../respond/runtime.ts';

export interface RespondDeps extends Deps {
  response: ResponseRuntime;
}

/** The origin of decisions Firebreak's own rules and actions make. */
export const FIREBREAK_ORIGIN = 'firebreak';
/** The origin of decisions operators make by hand (CrowdSec's name for manual decisions, which bouncers know). */
export const MANUAL_ORIGIN = 'cscli';
