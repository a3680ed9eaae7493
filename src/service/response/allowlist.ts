/**
 * The effective allowlist: loopback, the configuration file's entries, and
 * the entries added through the API (read from the database each time, so
 * every process sees an entry the moment it is committed).
 */
import type { Config } from '../../config.ts';
import type { Queryable } from '../../store/db.ts';
import { listAllowEntries } from '../../store/allowlist-repo.ts';
import { configAllowEntries, findAllowlisted, LOOPBACK_ENTRIES, type AllowEntry } from '../../respond/allowlist-match.ts';
import type { Cidr } from '../../domain/ip.ts';

export async function loadAllowlist(q: Queryable, config: Pick<Config, 'allowlist'>): Promise<AllowEntry[]> {
  const stored = await listAllowEntries(q);
  return [
    ...LOOPBACK_ENTRIES,
    ...configAllowEntries(config.allowlist),
    ...stored.map((e) => ({
      id: e.id,
      cidr: e.cidr,
      note: e.note,
      source: 'api' as const,
      created_at: e.created_at,
      created_by: e.created_by,
    })),
  ];
}

/** The allowlist entry that `target` touches, or null. */
export async function allowlistedBy(q: Queryable, config: Pick<Config, 'allowlist'>, target: Cidr): Promise<AllowEntry | null> {
  return findAllowlisted(await loadAllowlist(q, config), target);
}
