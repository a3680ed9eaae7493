/** GET /api/v1/allowlist: the configuration's entries and those added through the API (loopback is listed apart: it is always on). */
import type { Actor } from '../core/context.ts';
import type { RespondDeps } from './respond-deps.ts';
import { authorize } from '../access/authorize.ts';
import { loadAllowlist } from './allowlist.ts';
import { LOOPBACK_ENTRIES, type AllowEntry } from '../../respond/allowlist-match.ts';

export interface AllowlistPage {
  items: AllowEntry[];
  next_cursor: null;
  /** Always allowed, whatever the list says. */
  always: string[];
}

export async function listAllowlist(deps: Pick<RespondDeps, 'db' | 'config'>, actor: Actor): Promise<AllowlistPage> {
  authorize(actor, 'read');
  const all = await loadAllowlist(deps.db, deps.config);
  return { items: all.filter((e) => e.source !== 'builtin'), next_cursor: null, always: LOOPBACK_ENTRIES.map((e) => e.cidr) };
}
