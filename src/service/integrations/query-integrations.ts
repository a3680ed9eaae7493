import { AppError } from '../../errors.ts';
import {
  listIntegrations as repoList,
  findIntegrationByKeyHash,
  touchIntegration,
  type IntegrationRecord,
  type IntegrationType,
} from '../../store/integration-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { hashToken } from '../access/tokens.ts';

export async function listIntegrations(deps: Deps, actor: Actor, includeRevoked = false): Promise<IntegrationRecord[]> {
  authorize(actor, 'admin');
  return repoList(deps.db, includeRevoked);
}

/** The active integration of `type` this key belongs to; unauthorized otherwise (the same answer for unknown, revoked and wrong-type keys). */
export async function authenticateIntegration(
  deps: Pick<Deps, 'db' | 'clock'>,
  key: unknown,
  type: IntegrationType,
): Promise<IntegrationRecord> {
  const rec =
    typeof key === 'string' && key.length > 0 && key.length <= 200 ? await findIntegrationByKeyHash(deps.db, hashToken(key)) : null;
  if (!rec || rec.type !== type) throw new AppError('unauthorized', `unknown or revoked ${type} integration key`);
  const now = deps.clock();
  if (!rec.last_used_at || now.getTime() - Date.parse(rec.last_used_at) > 60_000) touchIntegration(deps.db, rec.id, now).catch(() => {});
  return rec;
}
