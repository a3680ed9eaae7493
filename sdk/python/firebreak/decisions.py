"""The in-memory set of active decisions, shaped for the "no match" case.

Invariants (the same as the Node SDK's ``decision-set.js``):

- Every stored decision is one record, reachable from ``by_id`` and from
  exactly one slot: ``levels4``/``levels6`` hold one dict per prefix length
  *present*, keyed by the masked network as an int. Exact addresses are
  simply /32 and /128. A miss therefore costs one dict lookup per distinct
  prefix length, nothing per decision.
- Levels are sorted longest prefix first and removed when empty.
- The miss path, the common one, is cut short by a *gate*: a count of the
  records of every level between ``GATE`` bits and the full length, keyed by
  the address's first ``GATE`` bits (a /16 for IPv4, a /32 for IPv6). An
  address whose exact entry is absent, whose /16 (/32) holds no range, and
  whose family has no range shorter than that, matches nothing: two dict
  lookups decide it, however many prefix lengths are present.
  ``fast4``/``fast6`` = ``(exact dict, gate dict, shift, has wide ranges)``.
- A record matches only while ``expires_at > now``; ``sweep()`` drops expired
  ones so memory follows the live set, but matching never depends on sweeping.

Readers (request threads) and the one writer (the guard's sync thread) share
it without a lock: the writer never mutates a tuple a reader may be iterating.
Level lists and slots are tuples replaced whole; dict get/set are atomic
under the GIL.
"""

from typing import Any, Callable, Dict, Optional, Tuple

from ._duration import parse_go_duration
from ._ip import parse_network, v4_mask, v6_mask


class Verdict:
    """What ``Guard.check`` answers: ``action`` is ``allow``, ``ban`` or ``rate_limit``."""

    __slots__ = ("action", "decision", "retry_after")

    def __init__(self, action: str, decision: Optional[Dict[str, Any]] = None, retry_after: int = 0):
        self.action = action
        self.decision = decision
        self.retry_after = retry_after

    @property
    def allowed(self) -> bool:
        return self.action == "allow"

    def __repr__(self) -> str:
        extra = f", retry_after={self.retry_after}" if self.action == "rate_limit" else ""
        return f"Verdict({self.action!r}{extra})"


ALLOW = Verdict("allow")


class _Record:
    __slots__ = ("id", "decision", "ban", "expires_at", "family", "prefix", "key", "verdict")


def _action_of(kind: object, unknown_type: str) -> Optional[str]:
    """Unknown types (captcha, ...) are bans, as CrowdSec bouncers do by default."""
    if kind == "ban":
        return "ban"
    if kind == "rate_limit":
        return "rate_limit"
    return None if unknown_type == "allow" else "ban"


def _id_of(d: Dict[str, Any]) -> Any:
    i = d.get("id")
    return i if i is not None else f"{d.get('scope')}|{d.get('value')}|{d.get('type')}"


GATE4 = 16
GATE6 = 32


class DecisionSet:
    def __init__(self, unknown_type: str = "ban"):
        if unknown_type not in ("ban", "allow"):
            raise ValueError("unknown_type must be 'ban' or 'allow'")
        self.unknown_type = unknown_type
        # Each level: (prefix, mask, {masked network: (record, ...)})
        self.levels4: Tuple[Tuple[int, int, Dict[int, Tuple[_Record, ...]]], ...] = ()
        self.levels6: Tuple[Tuple[int, int, Dict[int, Tuple[_Record, ...]]], ...] = ()
        self.by_id: Dict[Any, _Record] = {}
        self._exact4: Dict[int, Tuple[_Record, ...]] = {}
        self._exact6: Dict[int, Tuple[_Record, ...]] = {}
        self._gate4: Dict[int, int] = {}
        self._gate6: Dict[int, int] = {}
        self.fast4 = (self._exact4, self._gate4, 32 - GATE4, False)
        self.fast6 = (self._exact6, self._gate6, 128 - GATE6, False)
        self.next_expiry = float("inf")
        self.ignored = 0

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def empty(self) -> bool:
        return not self.by_id

    def add(self, decision: object, now: float) -> bool:
        """Adds (or replaces, by id) one decision received at ``now`` (seconds,
        the guard's clock). False when ignored: non-IP scope, bad value,
        expired, unknown type with ``unknown_type='allow'``."""
        if not isinstance(decision, dict):
            self.ignored += 1
            return False
        scope = str(decision.get("scope") or "").lower()
        action = _action_of(decision.get("type"), self.unknown_type)
        net = parse_network(decision.get("value")) if scope in ("ip", "range") else None
        raw = decision.get("duration")
        secs = float("inf") if raw is None else parse_go_duration(raw)
        rid = _id_of(decision)
        self.remove_by_id(rid)
        if action is None or net is None or secs is None or secs <= 0:
            self.ignored += 1
            return False
        family, prefix, key = net
        rec = _Record()
        rec.id = rid
        rec.decision = decision
        rec.ban = action == "ban"
        rec.expires_at = now + secs
        rec.family = family
        rec.prefix = prefix
        rec.key = key
        rec.verdict = Verdict("ban", decision) if rec.ban else None
        m = self._level(family, prefix, True)
        m[key] = m.get(key, ()) + (rec,)
        self._gate_count(rec, 1)
        self.by_id[rid] = rec
        if rec.expires_at < self.next_expiry:
            self.next_expiry = rec.expires_at
        return True

    def remove(self, decision: object) -> None:
        """Removes a decision by id, or (unknown id) every record of that value and type."""
        if not isinstance(decision, dict):
            return
        if self.remove_by_id(_id_of(decision)):
            return
        net = parse_network(decision.get("value"))
        if net is None:
            return
        family, prefix, key = net
        m = self._level(family, prefix, False)
        if m is None:
            return
        for rec in m.get(key, ()):
            if rec.decision.get("type") == decision.get("type"):
                self._remove_record(rec)

    def remove_by_id(self, rid: Any) -> bool:
        rec = self.by_id.get(rid)
        if rec is None:
            return False
        self._remove_record(rec)
        return True

    def _gate_count(self, rec: _Record, delta: int) -> None:
        bits, gate_bits = (32, GATE4) if rec.family == 4 else (128, GATE6)
        if rec.prefix == bits or rec.prefix < gate_bits:
            return  # exact entries are looked up directly; wide ranges are always scanned
        gate = self._gate4 if rec.family == 4 else self._gate6
        k = rec.key >> (bits - gate_bits)
        n = gate.get(k, 0) + delta
        if n > 0:
            gate[k] = n
        else:
            gate.pop(k, None)

    def _refresh_fast(self) -> None:
        wide4 = any(p < GATE4 for p, _m, _d in self.levels4)
        wide6 = any(p < GATE6 for p, _m, _d in self.levels6)
        self.fast4 = (self._exact4, self._gate4, 32 - GATE4, wide4)
        self.fast6 = (self._exact6, self._gate6, 128 - GATE6, wide6)

    def _remove_record(self, rec: _Record) -> None:
        if self.by_id.pop(rec.id, None) is None:
            return
        self._gate_count(rec, -1)
        m = self._level(rec.family, rec.prefix, False)
        if m is None:
            return
        slot = tuple(r for r in m.get(rec.key, ()) if r is not rec)
        if slot:
            m[rec.key] = slot
            return
        m.pop(rec.key, None)
        if m:
            return
        if rec.prefix == (32 if rec.family == 4 else 128):
            return  # the exact level stays: fast4/fast6 hold it
        if rec.family == 4:
            self.levels4 = tuple(l for l in self.levels4 if l[2] is not m)
        else:
            self.levels6 = tuple(l for l in self.levels6 if l[2] is not m)
        self._refresh_fast()

    def _level(self, family: int, prefix: int, create: bool) -> Optional[Dict[int, Tuple[_Record, ...]]]:
        levels = self.levels4 if family == 4 else self.levels6
        for p, _mask, m in levels:
            if p == prefix:
                return m
        if not create:
            return None
        full = prefix == (32 if family == 4 else 128)
        m = (self._exact4 if family == 4 else self._exact6) if full else {}
        mask = v4_mask(prefix) if family == 4 else v6_mask(prefix)
        new = tuple(sorted(levels + ((prefix, mask, m),), key=lambda l: -l[0]))
        if family == 4:
            self.levels4 = new
        else:
            self.levels6 = new
        self._refresh_fast()
        return m

    def match(self, family: int, addr: int, clock: Callable[[], float]) -> Optional[_Record]:
        """Best active record for an address: a ban wins over a rate_limit,
        whatever the prefix lengths. ``clock`` is called only on a hit."""
        exact, gate, shift, wide = self.fast4 if family == 4 else self.fast6
        slot = exact.get(addr)
        gated = (addr >> shift) in gate
        if slot is None and not gated and not wide:
            return None
        now = clock()
        rl = None
        if slot is not None:
            for rec in slot:
                if rec.expires_at <= now:
                    continue
                if rec.ban:
                    return rec  # a ban wins: no need to look at ranges
                if rl is None:
                    rl = rec
        if not gated and not wide:
            return rl
        full = 32 if family == 4 else 128
        gate_bits = GATE4 if family == 4 else GATE6
        for prefix, mask, m in self.levels4 if family == 4 else self.levels6:
            if prefix == full or (prefix >= gate_bits and not gated):
                continue
            slot = m.get(addr & mask)
            if slot is None:
                continue
            for rec in slot:
                if rec.expires_at <= now:
                    continue
                if rec.ban:
                    return rec
                if rl is None:
                    rl = rec
        return rl

    def sweep(self, now: float) -> int:
        """Drops expired records; O(n), but only once something has actually expired."""
        if now < self.next_expiry:
            return 0
        removed = 0
        nxt = float("inf")
        for rec in list(self.by_id.values()):
            if rec.expires_at <= now:
                self._remove_record(rec)
                removed += 1
            elif rec.expires_at < nxt:
                nxt = rec.expires_at
        self.next_expiry = nxt
        return removed
