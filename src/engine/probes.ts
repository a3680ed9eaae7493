/**
 * Health probes (`probes:`): each checks its target on its own loop, opens an
 * incident when it reaches its failure threshold and notes the recovery when
 * it answers again. Reports the `probes` health part.
 */
import { createProbeManager, type ProbeManager, type ProbeState } from '../detect/probes/probe-manager.ts';
import type { Deps } from '../service/core/context.ts';
import { openProbeIncident } from '../service/incidents/open-probe-incident.ts';
import { noteProbeRecovery } from '../service/incidents/note-probe-recovery.ts';
import type { Engine, StartOptions } from './engine.ts';

export interface ProbeEngine extends Engine {
  readonly probes: ProbeManager;
  states(): ProbeState[];
}

export function createProbeEngine(deps: Deps): ProbeEngine {
  const probes = createProbeManager({
    probes: deps.config.probes,
    clock: deps.clock,
    logger: deps.logger,
    onDown: async (probe, state) => void (await openProbeIncident(deps, probe, state)),
    onUp: async (probe, state, downSince) => void (await noteProbeRecovery(deps, probe, state, downSince)),
  });
  return {
    name: 'probes',
    probes,
    states: () => probes.states(),
    handlers: {},
    async start({ background = true }: StartOptions = {}) {
      if (background) probes.start();
    },
    stop: () => probes.stop(),
    health: () => [
      {
        name: 'probes',
        async check() {
          const items = probes.states();
          return { status: items.some((p) => p.status === 'down') ? 'degraded' : 'ok', items };
        },
      },
    ],
  };
}
