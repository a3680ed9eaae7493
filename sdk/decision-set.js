// The in-memory set of active decisions, shaped for the "no match" case.
//
// Invariants:
// - Every stored decision is one record, reachable from `byId` and from exactly
//   one slot: levels4/levels6 hold one Map per prefix length *present*, keyed by
//   the masked network: the int32 itself for IPv4; for IPv6 a 32-bit hash of
//   the masked groups (hash6), so lookups hash a few ints instead of building
//   and hashing strings, and a hit compares the groups to rule out collisions.
//   Exact addresses are simply /32 and /128. A miss therefore costs one Map
//   lookup per distinct prefix length, nothing per decision.
// - Levels are sorted longest prefix first and removed when empty.
// - A record matches only while `expiresAt > now`; sweep() drops expired ones
//   so memory follows the live set, but matching never depends on sweeping.
import { parseGoDuration } from './go-duration.js';
import { parseNetwork, v4Mask, v6RemMask } from './ip.js';

const prefixHash = new Int32Array(9);

/** Actions a decision maps to. Unknown types (captcha, ...) follow `unknownType`. */
function actionOf(type, unknownType) {
  if (type === 'ban') return 'ban';
  if (type === 'rate_limit') return 'rate_limit';
  return unknownType === 'allow' ? null : 'ban';
}

function idOf(d) {
  return d.id ?? `${d.scope}|${d.value}|${d.type}`;
}

/** True when address groups `h` lie in the network `net` (masked groups) of that level. */
function sameNet(net, h, full, remMask) {
  for (let k = 0; k < full; k++) if (net[k] !== h[k]) return false;
  return remMask === 0 || net[full] === (h[full] & remMask);
}

export class DecisionSet {
  /** @param {{ unknownType?: 'ban' | 'allow' }} [opts] */
  constructor(opts = {}) {
    this.unknownType = opts.unknownType ?? 'ban';
    this.levels4 = [];
    this.levels6 = [];
    this.byId = new Map();
    this.nextExpiry = Infinity;
    this.ignored = 0;
  }

  get size() {
    return this.byId.size;
  }

  /** True when nothing can match: lets check() skip parsing the address. */
  get empty() {
    return this.levels4.length === 0 && this.levels6.length === 0;
  }

  /**
   * Adds (or replaces, by id) one decision received at `now` (ms). Returns
   * false when it is ignored: non-IP scope, bad value, expired, unknown type.
   */
  add(decision, now) {
    if (decision === null || typeof decision !== 'object') return false;
    const scope = String(decision.scope ?? '').toLowerCase();
    const action = actionOf(decision.type, this.unknownType);
    const net = scope === 'ip' || scope === 'range' ? parseNetwork(decision.value) : null;
    const ms = decision.duration === undefined || decision.duration === null ? Infinity : parseGoDuration(decision.duration);
    const id = idOf(decision);
    this.removeById(id);
    if (action === null || net === null || ms === null || ms <= 0) {
      this.ignored++;
      return false;
    }
    const rec = {
      id,
      decision,
      ban: action === 'ban',
      expiresAt: now + ms,
      family: net.family,
      prefix: net.prefix,
      key: net.key,
      groups: net.family === 6 ? net.groups : null,
      verdict: action === 'ban' ? Object.freeze({ action: 'ban', decision }) : null,
    };
    const level = this.level(net.family, net.prefix, true);
    const slot = level.map.get(net.key);
    if (slot === undefined) level.map.set(net.key, [rec]);
    else slot.push(rec);
    this.byId.set(id, rec);
    if (rec.expiresAt < this.nextExpiry) this.nextExpiry = rec.expiresAt;
    return true;
  }

  /** Removes a decision by id, or (unknown id) every record of that value and type. */
  remove(decision) {
    if (decision === null || typeof decision !== 'object') return;
    if (this.removeById(idOf(decision))) return;
    const net = parseNetwork(decision.value);
    if (net === null) return;
    const level = this.level(net.family, net.prefix, false);
    const slot = level?.map.get(net.key);
    if (slot === undefined) return;
    for (const rec of slot.slice()) {
      if (rec.decision.type !== decision.type) continue;
      if (net.family === 6 && !sameNet(rec.groups, net.groups, level.full, level.remMask)) continue;
      this.removeRecord(rec);
    }
  }

  removeById(id) {
    const rec = this.byId.get(id);
    if (rec === undefined) return false;
    this.removeRecord(rec);
    return true;
  }

  removeRecord(rec) {
    this.byId.delete(rec.id);
    const level = this.level(rec.family, rec.prefix, false);
    const slot = level.map.get(rec.key);
    const at = slot.indexOf(rec);
    if (at >= 0) slot.splice(at, 1);
    if (slot.length > 0) return;
    level.map.delete(rec.key);
    if (level.map.size > 0) return;
    const levels = rec.family === 4 ? this.levels4 : this.levels6;
    levels.splice(levels.indexOf(level), 1);
  }

  level(family, prefix, create) {
    const levels = family === 4 ? this.levels4 : this.levels6;
    for (const l of levels) if (l.prefix === prefix) return l;
    if (!create) return undefined;
    const l =
      family === 4
        ? { prefix, mask: v4Mask(prefix), full: 0, remMask: 0, map: new Map() }
        : { prefix, mask: 0, full: prefix >> 4, remMask: v6RemMask(prefix), map: new Map() };
    levels.push(l);
    levels.sort((a, b) => b.prefix - a.prefix);
    return l;
  }

  /**
   * Best active record for an IPv4 address (int32): a ban wins over a
   * rate_limit, whatever the prefix lengths. `clock` is called only on a hit.
   */
  match4(addr, clock) {
    const levels = this.levels4;
    let now = 0;
    let rl = null;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      const slot = l.map.get(addr & l.mask);
      if (slot === undefined) continue;
      if (now === 0) now = clock();
      for (let j = 0; j < slot.length; j++) {
        const rec = slot[j];
        if (rec.expiresAt <= now) continue;
        if (rec.ban) return rec;
        if (rl === null) rl = rec;
      }
    }
    return rl;
  }

  /** Same as match4 for IPv6 groups (Int32Array of 8). */
  match6(groups, clock) {
    const levels = this.levels6;
    if (levels.length === 0) return null;
    // hash6 of every group-aligned prefix at once: prefixHash[k] covers groups 0..k-1.
    const ph = prefixHash;
    let x = -2128831035;
    ph[0] = x;
    for (let k = 0; k < 8; k++) ph[k + 1] = x = Math.imul(x ^ groups[k], 16777619);
    let now = 0;
    let rl = null;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      const full = l.full;
      const remMask = l.remMask;
      const key = remMask === 0 ? ph[full] : Math.imul(ph[full] ^ (groups[full] & remMask), 16777619);
      const slot = l.map.get(key);
      if (slot === undefined) continue;
      if (now === 0) now = clock();
      for (let j = 0; j < slot.length; j++) {
        const rec = slot[j];
        if (rec.expiresAt <= now || !sameNet(rec.groups, groups, full, remMask)) continue;
        if (rec.ban) return rec;
        if (rl === null) rl = rec;
      }
    }
    return rl;
  }

  /** Drops expired records; O(n) but only once something has actually expired. */
  sweep(now) {
    if (now < this.nextExpiry) return 0;
    let removed = 0;
    let next = Infinity;
    for (const rec of [...this.byId.values()]) {
      if (rec.expiresAt <= now) {
        this.removeRecord(rec);
        removed++;
      } else if (rec.expiresAt < next) {
        next = rec.expiresAt;
      }
    }
    this.nextExpiry = next;
    return removed;
  }
}
