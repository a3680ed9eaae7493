/** DELETE /api/v1/allowlist/{id}: removes an entry added through the API (configuration entries and loopback cannot be removed here). */
import { AppError } from '../../errors.ts';
import { deleteAllowEntry, type StoredAllowEntry } from '../../store/allowlist-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';

export async function removeAllowlistEntry(deps: Deps, actor: Actor, id: string): Promise<StoredAllowEntry> {
  authorize(actor, 'decisions:write');
  if (id.startsWith('config:'))
    throw new AppError('conflict', `allowlist entry ${id} comes from the configuration file; remove it there and restart`);
  if (id.startsWith('builtin:')) throw new AppError('conflict', 'loopback is always allowlisted');
  return deps.db.tx(async (q) => {
    const now = deps.clock();
    const removed = await deleteAllowEntry(q, id);
    if (!removed) throw new AppError('not_found', `allowlist entry ${id} not found`);
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'allowlist.remove',
      target: `allowlist:${id}`,
      ip: actor.ip,
      details: { cidr: removed.cidr },
    });
    return removed;
  });
}
