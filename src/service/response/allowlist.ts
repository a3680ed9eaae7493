/**
 * The effective allowlist: loopback, the configuration file's entries, and
 * the entries added through the API (read from the database each time, so
 * every process sees an entry the moment it is committed).
 */
import type { Config } from '../../config.ts';
import type { Queryable } from '../../store/db.ts';
import { listAllowEntries, type StoredAllowEntry } from '../../store/allowlist-repo.ts';
import {
  configAllowEntries,
  findAllowlisted,
  fixedAllowlistIndex,
  LOOPBACK_ENTRIES,
  type AllowEntry,
} from '../../respond/allowlist-match.ts';
import type { Cidr } from '../../domain/ip.ts';

export async function loadAllowlist(q: Queryable, config: Pick<Config, 'allowlist'>): Promise<AllowEntry[]> {
  const stored = await listAllowEntries(q);
  return [...LOOPBACK_ENTRIES, ...configAllowEntries(config.allowlist), ...stored.map(apiEntry)];
}

function apiEntry(e: StoredAllowEntry): AllowEntry {
  return { id: e.id, cidr: e.cidr, note: e.note, source: 'api', created_at: e.created_at, created_by: e.created_by };
}

/**
 * The allowlist entry that `target` touches, or null: loopback and the file
 * through their index (O(prefix length), however long the file's list), then
 * the API's entries (added one by one by people, read fresh each time).
 */
export async function allowlistedBy(q: Queryable, config: Pick<Config, 'allowlist'>, target: Cidr): Promise<AllowEntry | null> {
  const fixed = fixedAllowlistIndex(config.allowlist).find(target);
  if (fixed) return fixed;
  return findAllowlisted((await listAllowEntries(q)).map(apiEntry), target);
}
