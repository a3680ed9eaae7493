"""Address parsing shared by the guard, the middleware and the reporter.

An address is parsed into ``(family, int)``: 4 with a 32-bit integer, 6 with a
128-bit one. The integer *is* the canonical form, so any spelling of an
address (``::ffff:1.2.3.4``, ``2001:DB8:0:0::1``, a ``%zone``) lands on the
same key without a formatting step. IPv4-mapped IPv6 (what a dual-stack socket
reports for IPv4 clients) comes back as IPv4. Dotted quads with leading zeros
are refused (some parsers read them as octal, so one address could hide
behind another spelling); ``inet_pton`` does that for us.
"""

import ipaddress
import socket
from typing import Optional, Tuple

_inet_pton = socket.inet_pton
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_from_bytes = int.from_bytes
_MAPPED = 0xFFFF << 32
_V4_MASK = 0xFFFFFFFF

Address = Tuple[int, int]


def parse_ip(text: str) -> Optional[Address]:
    """``(4, int)``, ``(6, int)``, or None when ``text`` is not an address."""
    try:
        if ":" not in text:
            return 4, _from_bytes(_inet_pton(_AF_INET, text), "big")
        pct = text.find("%")
        if pct >= 0:
            text = text[:pct]
        v = _from_bytes(_inet_pton(_AF_INET6, text), "big")
    except (OSError, TypeError, ValueError):
        return None
    if v >> 32 == 0xFFFF:
        return 4, v & _V4_MASK
    return 6, v


def v4_mask(prefix: int) -> int:
    return (_V4_MASK << (32 - prefix)) & _V4_MASK


def v6_mask(prefix: int) -> int:
    return ((1 << 128) - 1) ^ ((1 << (128 - prefix)) - 1)


def parse_network(text: object) -> Optional[Tuple[int, int, int]]:
    """``(family, prefix, masked int)`` for an address or ``addr/prefix``;
    host bits beyond the prefix are cleared; None when not a network."""
    if not isinstance(text, str):
        return None
    addr, slash, p = text.partition("/")
    parsed = parse_ip(addr.strip())
    if parsed is None:
        return None
    family, value = parsed
    if slash:
        p = p.strip()
        if not p.isdigit() or len(p) > 3:
            return None
        prefix = int(p)
        # A prefix on an IPv4-mapped address counts the 96 bits of ::ffff:0:0/96.
        if family == 4 and ":" in addr:
            prefix -= 96
    else:
        prefix = 32 if family == 4 else 128
    if prefix < 0 or prefix > (32 if family == 4 else 128):
        return None
    mask = v4_mask(prefix) if family == 4 else v6_mask(prefix)
    return family, prefix, value & mask


def canonical_ip(text: object) -> Optional[str]:
    """Dotted quad (also for IPv4-mapped IPv6) or RFC 5952 text; None when not an address."""
    if not isinstance(text, str):
        return None
    parsed = parse_ip(text.strip())
    if parsed is None:
        return None
    family, value = parsed
    if family == 4:
        return str(ipaddress.IPv4Address(value))
    return str(ipaddress.IPv6Address(value))
