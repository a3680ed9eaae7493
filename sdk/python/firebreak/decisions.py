"""The in-memory set of active decisions, shaped for the "no match" case.

Invariants (the same as the Node SDK's ``decision-set.js``):

- Every stored decision is one record, reachable from ``by_id`` and from
  exactly one slot: ``levels4``/``levels6`` hold one dict per prefix length
  *present*, keyed by the masked network as an int. Exact addresses are
  simply /32 and /128. A miss therefore costs one dict lookup per distinct
  prefix length, nothing per decision.
- Levels are sorted longest prefix first and removed when empty.
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


class DecisionSet:
    def __init__(self, unknown_type: str = "ban"):
        if unknown_type not in ("ban", "allow"):
            raise ValueError("unknown_type must be 'ban' or 'allow'")
        self.unknown_type = unknown_type
        # Each level: (prefix, mask, {masked network: (record, ...)})
        self.levels4: Tuple[Tuple[int, int, Dict[int, Tuple[_Record, ...]]], ...] = ()
        self.levels6: Tuple[Tuple[int, int, Dict[int, Tuple[_Record, ...]]], ...] = ()
        self.by_id: Dict[Any, _Record] = {}
        self.next_expiry = float("inf")
        self.ignored = 0

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def empty(self) -> bool:
        return not self.levels4 and not self.levels6

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

    def _remove_record(self, rec: _Record) -> None:
        self.by_id.pop(rec.id, None)
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
        if rec.family == 4:
            self.levels4 = tuple(l for l in self.levels4 if l[2] is not m)
        else:
            self.levels6 = tuple(l for l in self.levels6 if l[2] is not m)

    def _level(self, family: int, prefix: int, create: bool) -> Optional[Dict[int, Tuple[_Record, ...]]]:
        levels = self.levels4 if family == 4 else self.levels6
        for p, _mask, m in levels:
            if p == prefix:
                return m
        if not create:
            return None
        m = {}
        mask = v4_mask(prefix) if family == 4 else v6_mask(prefix)
        new = tuple(sorted(levels + ((prefix, mask, m),), key=lambda l: -l[0]))
        if family == 4:
            self.levels4 = new
        else:
            self.levels6 = new
        return m

    def match(self, family: int, addr: int, clock: Callable[[], float]) -> Optional[_Record]:
        """Best active record for an address: a ban wins over a rate_limit,
        whatever the prefix lengths. ``clock`` is called only on a hit."""
        now = None
        rl = None
        for _prefix, mask, m in self.levels4 if family == 4 else self.levels6:
            slot = m.get(addr & mask)
            if slot is None:
                continue
            if now is None:
                now = clock()
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
