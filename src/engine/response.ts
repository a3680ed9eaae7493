/**
 * Automated response in the background: retries of failed action attempts
 * (`action_retry` timers), campaigns' batched timeline entries
 * (`campaign_announce`) and, at stop, waiting for outbound calls in flight.
 */
import type { ResponseRuntime } from '../respond/runtime.ts';
import { ACTION_RETRY_TIMER } from '../service/response/action-attempt.ts';
import { retryActionRun } from '../service/response/retry-action.ts';
import type { RespondDeps } from '../service/response/respond-deps.ts';
import { announceCampaign, CAMPAIGN_ANNOUNCE_TIMER } from '../service/detections/announce-campaign.ts';
import type { Engine } from './engine.ts';

export function createResponseEngine(deps: RespondDeps): Engine & { readonly response: ResponseRuntime } {
  return {
    name: 'response',
    response: deps.response,
    handlers: {
      [ACTION_RETRY_TIMER]: (q, t, now) => retryActionRun(deps, q, t, now),
      // Campaigns' "+N addresses" timeline entries, paced by the bans' batches.
      [CAMPAIGN_ANNOUNCE_TIMER]: announceCampaign,
    },
    async start() {},
    stop: () => deps.response.idle(),
    health: () => [],
  };
}
