import { AppError } from '../../errors.ts';
import { getIntegration, revokeIntegration as repoRevoke, type IntegrationRecord } from '../../store/integration-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';

/** Revokes an integration key: its senders are refused from now on (incidents it opened stay). */
export async function revokeIntegration(deps: Deps, actor: Actor, id: string): Promise<IntegrationRecord> {
  authorize(actor, 'admin');
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const existing = await getIntegration(q, id);
    if (!existing) throw new AppError('not_found', `integration ${id} not found`);
    if (existing.revoked_at) throw new AppError('conflict', `integration ${id} is already revoked`);
    const r = await repoRevoke(q, id, now);
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'integration.revoke',
      target: id,
      ip: actor.ip,
      details: { name: existing.name },
    });
    return r!;
  });
}
