"""Go's time.Duration text, what CrowdSec-compatible APIs put in ``duration``:
``59m58.123s``, ``1h0m0s``, ``300ms``, ``-2.5s``, ``0s``."""

import re
from typing import Optional

_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: object) -> Optional[float]:
    """Seconds (negative for an expired decision), or None when not a Go duration."""
    if not isinstance(text, str):
        return None
    s = text.strip()
    sign = 1.0
    if s[:1] in ("-", "+"):
        if s[0] == "-":
            sign = -1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if s == "":
        return None
    total = 0.0
    pos = 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            return None
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    return sign * total
