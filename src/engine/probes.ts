/**
 * Health probes (`probes:`): each checks its target on its own loop, opens an
 * incident when it reaches its failure threshold and notes the recovery when
 * it answers again. Reports the `probes` health part. In cluster mode
 * (`leases` given) each probe runs on the one instance holding its lease.
 */
import { createProbeManager, type ProbeManager, type ProbeState } from '../detect/probes/probe-manager.ts';
import type { Deps } from '../service/core/context.ts';
import { openProbeIncident } from '../service/incidents/open-probe-incident.ts';
import { noteProbeRecovery } from '../service/incidents/note-probe-recovery.ts';
import type { Engine, StartOptions } from './engine.ts';
import type { ProbeLeases } from '../cluster/probe-leases.ts';

export interface ProbeEngine extends Engine {
  readonly probes: ProbeManager;
  /** Cluster mode: who runs which probe; null in single-process mode. */
  readonly leases: ProbeLeases | null;
  states(): ProbeState[];
}

export function createProbeEngine(deps: Deps, leases: ProbeLeases | null = null): ProbeEngine {
  const probes = createProbeManager({
    owns: leases ? (name) => leases.owns(name) : undefined,
    probes: deps.config.probes,
    clock: deps.clock,
    logger: deps.logger,
    onDown: async (probe, state) => void (await openProbeIncident(deps, probe, state)),
    onUp: async (probe, state, downSince) => void (await noteProbeRecovery(deps, probe, state, downSince)),
  });
  return {
    name: 'probes',
    probes,
    leases,
    states: () => probes.states(),
    handlers: {},
    async start({ background = true }: StartOptions = {}) {
      if (!background) return;
      leases?.start();
      probes.start();
    },
    async stop() {
      // Runs end first, then the leases are handed back: the next owner never probes alongside this one.
      await probes.stop();
      await leases?.stop();
    },
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
