/**
 * "After the incident" in the background: the timer handlers of
 * post-mortem drafts and of post-mortem and action-item reminders, the bus
 * subscriber that asks for a draft when an incident resolves, and the
 * recovery of drafts a crash lost.
 */
import type { Logger } from 'pino';
import type { Deps } from '../service/core/context.ts';
import { ACTION_ITEM_REMINDER_TIMER, POSTMORTEM_REMINDER_TIMER, type NotifyReminder } from '../service/after-incident/reminder.ts';
import {
  POSTMORTEM_DRAFT_TIMER,
  draftPostmortem,
  recoverPostmortemDrafts,
  requestPostmortemDraft,
} from '../service/after-incident/draft-postmortem.ts';
import { remindPostmortem } from '../service/after-incident/remind-postmortem.ts';
import { remindActionItem } from '../service/after-incident/remind-action-item.ts';
import type { Engine } from './engine.ts';

export interface AfterIncident extends Engine {
  /** Subscribes to `incident.resolved` and arms timers for drafts lost by a crash (with or without background loops). */
  start(): Promise<void>;
  /** Resolves once every draft request received so far has armed its timer (tests). */
  settled(): Promise<void>;
}

/** Until the escalation engine sends them, reminders are logged. */
export function logReminders(logger: Pick<Logger, 'info'>): NotifyReminder {
  return async (r) =>
    logger.info(
      {
        reminder: {
          kind: r.kind,
          incident_id: r.incident_id,
          postmortem_id: r.postmortem_id,
          action_item_id: r.action_item_id,
          owner: r.owner,
          due_at: r.due_at,
        },
      },
      r.subject,
    );
}

export function createAfterIncident(opts: { deps: Deps; notify: NotifyReminder; wake: () => void }): AfterIncident {
  const { deps, notify } = opts;
  const inflight = new Set<Promise<unknown>>();
  let unsubscribe: (() => void) | null = null;
  return {
    name: 'after-incident',
    handlers: {
      [POSTMORTEM_DRAFT_TIMER]: async (q, t, now) =>
        void (await draftPostmortem(deps, q, t.ref, t.payload as { resolved_at?: string }, now)),
      [POSTMORTEM_REMINDER_TIMER]: async (q, t, now) => void (await remindPostmortem(deps, notify, q, t, now)),
      [ACTION_ITEM_REMINDER_TIMER]: async (q, t, now) => void (await remindActionItem(deps, notify, q, t, now)),
    },
    async start() {
      unsubscribe = deps.bus.subscribe((e) => {
        if (e.type !== 'incident.resolved') return;
        const p = requestPostmortemDraft(deps, e.incident)
          .then((armed) => armed && opts.wake())
          .catch((err: unknown) =>
            deps.logger.error({ err, incident: e.incident.id }, 'could not arm the post-mortem draft; it is retried at the next start'),
          )
          .finally(() => inflight.delete(p));
        inflight.add(p);
      });
      const recovered = await recoverPostmortemDrafts(deps);
      if (recovered > 0) deps.logger.info({ recovered }, 'armed post-mortem drafts a restart had left undone');
    },
    async settled() {
      // Bus subscribers start on a microtask after publish: let them begin first.
      await new Promise((r) => setImmediate(r));
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
    },
    health: () => [],
  };
}
