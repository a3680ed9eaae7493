"""Which address a request comes from.

By default: the connection's peer address. ``X-Forwarded-For`` is a request
header, so any client can send ``X-Forwarded-For: 127.0.0.1`` and, if we
believed it, step around its own ban (or get an innocent address banned
through the events we report). Only entries appended by proxies *you* run can
be trusted, and those are the right-most ones. So the header is read only
when the peer is one of ``trusted_proxies``, and then from the right: each
trusted entry vouches for the one to its left, and the first (right-most)
entry that is not a trusted proxy is the client. Never the left-most.
"""

from functools import lru_cache
from typing import Iterable, List, Optional, Sequence

from ._ip import parse_ip, parse_network


class ClientAddress:
    """``resolve(peer, xff_values)`` → the client's address (or None)."""

    def __init__(self, trusted_proxies: Iterable[str] = ()):
        if isinstance(trusted_proxies, str):
            trusted_proxies = [trusted_proxies]
        nets = []
        for entry in trusted_proxies:
            net = parse_network(entry)
            if net is None:
                raise ValueError(f"trusted_proxies: {entry!r} is not an address or CIDR range")
            nets.append(net)
        self._nets = tuple(nets)
        self._is_trusted = lru_cache(maxsize=4096)(self._trusted)

    @property
    def enabled(self) -> bool:
        return bool(self._nets)

    def _trusted(self, text: str) -> bool:
        parsed = parse_ip(text)
        if parsed is None:
            return False
        family, value = parsed
        for fam, prefix, key in self._nets:
            if fam != family:
                continue
            bits = 32 if family == 4 else 128
            if value >> (bits - prefix) == key >> (bits - prefix):
                return True
        return False

    def resolve(self, peer: Optional[str], forwarded_for: Sequence[str]) -> Optional[str]:
        if not self._nets or peer is None or not forwarded_for or not self._is_trusted(peer):
            return peer
        chain: List[str] = []
        for value in forwarded_for:
            chain.extend(part.strip() for part in value.split(","))
        for entry in reversed(chain):
            host = strip_port(entry)
            if host == "":
                continue
            if not self._is_trusted(host):
                return host
        # Every hop is one of ours: the left-most is the closest we know to the client.
        left = strip_port(chain[0]) if chain else ""
        return left or peer


def strip_port(entry: str) -> str:
    """``[2001:db8::1]:443`` → ``2001:db8::1``; ``203.0.113.5:8080`` → ``203.0.113.5``
    (some proxies append the port); anything else unchanged."""
    if entry.startswith("["):
        end = entry.find("]")
        return entry[1:end] if end > 0 else entry
    if entry.count(":") == 1:
        return entry.split(":", 1)[0]
    return entry
