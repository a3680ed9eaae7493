/**
 * Every kind of durable timer: which engine handles it and which file holds
 * the verb its handler calls. Each capability folder owns its kind's constant;
 * this is the one table of them. `collectHandlers` refuses an engine handler
 * missing from the table, a kind handled twice or by another engine than the
 * table says, and a kind nobody handles: adding a timer kind means a row here.
 */
import { ACK_TIMER } from '../service/incidents/open-incident.ts';
import { ACTION_RETRY_TIMER } from '../service/response/action-attempt.ts';
import { CAMPAIGN_ANNOUNCE_TIMER } from '../service/detections/announce-campaign.ts';
import { ESCALATE_TIMER, NOTIFY_LEASE_TIMER, NOTIFY_TIMER } from '../service/escalation/escalation-deps.ts';
import { STEP_TIMER, VERIFY_TIMER } from '../service/runbooks/runbook-runtime.ts';
import { POSTMORTEM_DRAFT_TIMER } from '../service/after-incident/draft-postmortem.ts';
import { ACTION_ITEM_REMINDER_TIMER, POSTMORTEM_REMINDER_TIMER } from '../service/after-incident/reminder.ts';
import type { Engine, TimerHandler } from './engine.ts';

export interface TimerKind {
  /** `Engine.name` of the engine whose handler runs it. */
  engine: string;
  /** What the timer's `ref` names. */
  ref: string;
  /** The file (under src/) of the verb the handler calls. */
  handler: string;
}

export const TIMER_KINDS: Readonly<Record<string, TimerKind>> = {
  [ACK_TIMER]: { engine: 'sla', ref: 'incident id', handler: 'service/incidents/record-sla-breach.ts' },
  [ACTION_RETRY_TIMER]: { engine: 'response', ref: '<action run id>/<attempt>', handler: 'service/response/retry-action.ts' },
  [CAMPAIGN_ANNOUNCE_TIMER]: { engine: 'response', ref: 'incident id', handler: 'service/detections/announce-campaign.ts' },
  [ESCALATE_TIMER]: { engine: 'escalator', ref: 'incident id', handler: 'service/escalation/escalate-incident.ts' },
  // The claim happens in the timer's transaction; the send after commit, in engine/notification-sender.ts.
  [NOTIFY_TIMER]: { engine: 'escalator', ref: 'notification id', handler: 'service/escalation/claim-notification.ts' },
  [NOTIFY_LEASE_TIMER]: { engine: 'escalator', ref: 'notification id', handler: 'service/escalation/expire-notification-claim.ts' },
  [STEP_TIMER]: {
    engine: 'runbooks',
    ref: '<incident id>/<step id>/<attempt>/<start|watchdog>',
    handler: 'service/runbooks/begin-runbook-step.ts',
  },
  [VERIFY_TIMER]: { engine: 'runbooks', ref: '<incident id>#<round>', handler: 'service/runbooks/schedule-verification.ts' },
  [POSTMORTEM_DRAFT_TIMER]: { engine: 'after-incident', ref: 'incident id', handler: 'service/after-incident/draft-postmortem.ts' },
  [POSTMORTEM_REMINDER_TIMER]: {
    engine: 'after-incident',
    ref: '<post-mortem id>@<due ms>#<slot>',
    handler: 'service/after-incident/remind-postmortem.ts',
  },
  [ACTION_ITEM_REMINDER_TIMER]: {
    engine: 'after-incident',
    ref: '<action item id>:<before|due>',
    handler: 'service/after-incident/remind-action-item.ts',
  },
};

/** The scheduler's handler table, from the engines' handlers checked against TIMER_KINDS. */
export function collectHandlers(engines: readonly Engine[]): Record<string, TimerHandler> {
  const out: Record<string, TimerHandler> = {};
  for (const e of engines) {
    for (const [kind, handler] of Object.entries(e.handlers)) {
      const row = TIMER_KINDS[kind];
      if (!row)
        throw new Error(`engine ${e.name} handles timer kind ${kind}, which is missing from TIMER_KINDS (src/engine/timer-kinds.ts)`);
      if (row.engine !== e.name) throw new Error(`timer kind ${kind} belongs to engine ${row.engine}, not ${e.name}`);
      if (out[kind]) throw new Error(`timer kind ${kind} is handled twice`);
      out[kind] = handler;
    }
  }
  const unhandled = Object.keys(TIMER_KINDS).filter((k) => !out[k]);
  if (unhandled.length) throw new Error(`no engine handles timer kind(s) ${unhandled.join(', ')}`);
  return out;
}
