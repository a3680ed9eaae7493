"""What the reporter puts on the wire and reads back: one event serialized
(validated the way Firebreak validates it, so a bad event is dropped here,
counted, instead of travelling), Retry-After, and the per-event rejections
of an accepted batch."""

import datetime
import json
import re
import time
from typing import Any, Dict, List, Optional, Tuple

from ._ip import canonical_ip

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_TYPE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
# A server asking for more than this is treated as asking for this: events
# older than the detection windows are worth little, and the queue is bounded.
_MAX_RETRY_AFTER = 600.0


def retry_after(value: Optional[str]) -> Optional[float]:
    """Retry-After (seconds or an HTTP date) in seconds, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(_MAX_RETRY_AFTER, float(value))
    try:
        from email.utils import parsedate_to_datetime

        at = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return min(_MAX_RETRY_AFTER, max(0.0, at - time.time()))


def rejected(answer: bytes) -> List[dict]:
    """The ``rejected`` entries of Firebreak's 202 answer (``[{index, error}]``)."""
    try:
        body = json.loads(answer)
    except ValueError:
        return []
    items = body.get("rejected") if isinstance(body, dict) else None
    return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []


def _now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def serialize_event(kind: Any, fields: Dict[str, Any]) -> Tuple[Optional[str], str]:
    """``(JSON line, "")`` or ``(None, why it cannot be sent)``. ``ts`` defaults
    to now (datetimes and epoch seconds are converted); ``ip`` is canonicalized;
    None values are left out."""
    if not isinstance(kind, str) or not _TYPE_RE.match(kind):
        return None, f"invalid event type {kind!r}"
    ev: Dict[str, Any] = {"type": kind}
    for k, v in fields.items():
        if v is not None:
            ev[k] = v
    ts = ev.get("ts")
    if ts is None:
        ev["ts"] = _now_rfc3339()
    elif isinstance(ts, datetime.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=datetime.timezone.utc)
        ev["ts"] = ts.isoformat()
    elif isinstance(ts, (int, float)):
        ev["ts"] = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat()
    if "ip" in ev:
        ip = canonical_ip(ev["ip"])
        if ip is None:
            return None, "an event whose ip is not an address"
        ev["ip"] = ip
    try:
        return json.dumps(ev, separators=(",", ":"), default=str), ""
    except (TypeError, ValueError) as err:
        return None, f"an event that cannot be serialized ({err})"
