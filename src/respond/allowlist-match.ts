/**
 * The allowlist as one list of entries from three places: loopback (always),
 * the configuration file's `allowlist:` and the entries added through the
 * API. `findAllowlisted` answers whether a ban target touches any of them.
 * Pure.
 *
 * A range touches an entry when the two overlap at all: banning
 * 198.51.100.0/24 would also ban an allowlisted 198.51.100.7, so it is
 * refused too.
 *
 * Lists can be large (hundreds of thousands of ranges: cloud provider and
 * partner ranges), so matching goes through an index, `AllowlistIndex` (a
 * radix tree, domain/cidr-trie.ts): built in linear time, a lookup costs
 * O(prefix length) whatever the list's size. The fixed part (loopback and
 * the configuration file) is built once per configuration.
 * `findAllowlisted` is the plain scan, kept as the reference the index is
 * tested against.
 */
import { parseCidr, type Cidr } from '../domain/ip.ts';
import { CidrTrie } from '../domain/cidr-trie.ts';
import { canonicalCidr } from './decision-target.ts';

export interface AllowEntry {
  /** `builtin:loopback4`, `config:<index>`, or the stored id. */
  id: string;
  cidr: string;
  note: string | null;
  source: 'builtin' | 'config' | 'api';
  created_at?: string;
  created_by?: string;
}

export const LOOPBACK_ENTRIES: readonly AllowEntry[] = Object.freeze([
  { id: 'builtin:loopback4', cidr: '127.0.0.0/8', note: 'loopback (always allowed)', source: 'builtin' as const },
  { id: 'builtin:loopback6', cidr: '::1/128', note: 'loopback (always allowed)', source: 'builtin' as const },
]);

const configEntriesCache = new WeakMap<readonly string[], AllowEntry[]>();

/**
 * The configuration file's entries, canonical, with ids `config:<index>`. Invalid ones were refused by config.ts.
 * Cached per list (the configuration is frozen): callers must not change the result.
 */
export function configAllowEntries(list: readonly string[]): AllowEntry[] {
  const cached = configEntriesCache.get(list);
  if (cached) return cached;
  const out: AllowEntry[] = [];
  configEntriesCache.set(list, out);
  list.forEach((text, i) => {
    const c = canonicalCidr(text);
    if (c) out.push({ id: `config:${i}`, cidr: c.text, note: 'from the configuration file', source: 'config' });
  });
  return out;
}

function maskWord(w: number, prefix128: number, k: number): number {
  const bits = prefix128 - 32 * k;
  if (bits <= 0) return 0;
  if (bits >= 32) return w >>> 0;
  return (w & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
}

/** True when the two ranges share at least one address (IPv4 and IPv4-mapped IPv6 are the same space). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix128, b.prefix128);
  for (let k = 0; k < 4; k++) if (maskWord(a.words[k]!, p, k) !== maskWord(b.words[k]!, p, k)) return false;
  return true;
}

/** The first entry the target overlaps, or null. */
export function findAllowlisted(entries: readonly AllowEntry[], target: Cidr): AllowEntry | null {
  for (const e of entries) {
    const c = canonicalCidr(e.cidr);
    if (c && cidrsOverlap(c, target)) return e;
  }
  return null;
}

/** Entries indexed for overlap and exact lookups; the first entry (in the order given) wins, as with findAllowlisted. */
export class AllowlistIndex {
  private readonly trie = new CidrTrie<AllowEntry>();

  constructor(entries: Iterable<AllowEntry> = []) {
    for (const e of entries) this.add(e);
  }

  get size(): number {
    return this.trie.size;
  }

  /** Adds an entry after those already in; an entry whose cidr is not valid is ignored (config.ts and the API refuse them). */
  add(e: AllowEntry): void {
    // parseCidr, not canonicalCidr: the trie works in the 128-bit space, where mapped and plain IPv4 are one.
    const c = parseCidr(e.cidr);
    if (c) this.trie.insert(c, e);
  }

  /** The first entry the target overlaps, or null. */
  find(target: Cidr): AllowEntry | null {
    return this.trie.firstOverlapping(target) ?? null;
  }

  /** The first entry with exactly this range, or null. */
  exact(target: Cidr): AllowEntry | null {
    return this.trie.exact(target) ?? null;
  }
}

const fixedIndexCache = new WeakMap<readonly string[], AllowlistIndex>();

/** Loopback and the configuration file's entries, indexed once per configuration list. */
export function fixedAllowlistIndex(configList: readonly string[]): AllowlistIndex {
  let idx = fixedIndexCache.get(configList);
  if (!idx) {
    idx = new AllowlistIndex([...LOOPBACK_ENTRIES, ...configAllowEntries(configList)]);
    fixedIndexCache.set(configList, idx);
  }
  return idx;
}

/** "198.51.100.0/24 (from the configuration file)": how messages name an entry. */
export function describeAllowEntry(e: AllowEntry): string {
  const where =
    e.source === 'builtin'
      ? 'loopback, always allowed'
      : e.source === 'config'
        ? 'from the configuration file'
        : `allowlist entry ${e.id}${e.note ? `: ${e.note}` : ''}`;
  return `${e.cidr} (${where})`;
}
