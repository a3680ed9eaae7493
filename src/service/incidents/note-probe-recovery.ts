/**
 * A probe that was down answers again: a `probe` entry on its open incident
 * (recovery is evidence; verification decides when the incident is mitigated).
 */
import type { Config } from '../../config.ts';
import { findOpenByDedup } from '../../store/incident-repo.ts';
import { appendTimeline } from '../../store/timeline-repo.ts';
import type { Deps } from '../core/context.ts';
import { probeActor, probeIncidentType } from './open-probe-incident.ts';

export async function noteProbeRecovery(
  deps: Deps,
  probe: Config['probes'][number],
  s: { latency_ms: number | null; last_checked_at: string | null },
  downSince: string | null,
): Promise<boolean> {
  return deps.db.tx(async (q) => {
    const open = await findOpenByDedup(q, probeIncidentType(probe), `probe:${probe.name}`);
    if (!open) return false;
    await appendTimeline(q, {
      incidentId: open.id,
      at: deps.clock(),
      kind: 'probe',
      actor: probeActor(probe.name).name,
      message: `Probe ${probe.name} healthy again${downSince ? ` (down since ${downSince})` : ''}${s.latency_ms !== null ? `, ${s.latency_ms} ms` : ''}`,
      data: { probe: probe.name, ok: true, latency_ms: s.latency_ms, checked_at: s.last_checked_at, down_since: downSince },
    });
    return true;
  });
}
