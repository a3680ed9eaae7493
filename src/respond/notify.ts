/**
 * notify: tell someone (`target`: security, user, or whatever the rule or
 * step names). Delivery goes through the runtime's notify hook, which
 * main.ts wires to the notification channels; without one the run succeeds
 * and the timeline entry is the record.
 */
import { z } from 'zod';
import { defineAction } from './action.ts';

const params = z
  .object({ target: z.string().trim().min(1).max(200).default('default'), message: z.string().trim().min(1).max(2000).optional() })
  .strict();

export const notify = defineAction({
  name: 'notify',
  remote: true,
  params,
  target: (p) => ({ kind: 'notify', value: p.target, key: `notify:${p.target}` }),
  describe: (p) => `notify ${p.target}`,
  async execute(inv, fx) {
    const message =
      inv.params.message ??
      `[${inv.incident.severity.toUpperCase()}] ${inv.incident.title} (${inv.incident.type}, incident #${inv.incident.id})`;
    const res = await fx.notify({ actionId: inv.actionId, incident: inv.incident, target: inv.params.target, message });
    if (res.ok) return { outcome: 'succeeded', message: `notified ${inv.params.target}: ${message}` };
    return { outcome: 'failed', retryable: res.retryable, message: res.error ?? `could not notify ${inv.params.target}` };
  },
});
