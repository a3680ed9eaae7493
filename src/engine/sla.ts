/**
 * Acknowledgement deadlines: an incident still unacknowledged when its
 * `ack_deadline` timer fires gets its SLA breach recorded (timeline, analytics).
 */
import type { Deps } from '../service/core/context.ts';
import { ACK_TIMER } from '../service/incidents/open-incident.ts';
import { recordSlaBreach } from '../service/incidents/record-sla-breach.ts';
import type { Engine } from './engine.ts';

export function createSlaEngine(deps: Deps): Engine {
  return {
    name: 'sla',
    handlers: {
      [ACK_TIMER]: async (q, t, now) => {
        await recordSlaBreach(deps, q, t.ref, t.payload as { deadline?: string }, now);
      },
    },
    async start() {},
    async stop() {},
    health: () => [],
  };
}
