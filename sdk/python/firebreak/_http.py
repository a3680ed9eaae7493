"""The HTTP client of the guard and the reporter: urllib, with no redirects
followed (a redirect would carry the API key or token to another host) and
no proxy taken from the environment (Firebreak is reached directly)."""

import urllib.error
import urllib.request
from typing import Dict, Optional, Tuple


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

USER_AGENT = "firebreak-python/0.1"


def request(
    method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float, max_bytes: int = 256 << 20
) -> Tuple[int, Dict[str, str], bytes]:
    """One request; ``(status, lower-cased headers, body)`` for any HTTP answer.
    Network errors and timeouts raise OSError."""
    req = urllib.request.Request(url, data=body, method=method, headers={"User-Agent": USER_AGENT, **headers})
    try:
        with _opener.open(req, timeout=timeout) as res:
            data = res.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise OSError(f"answer larger than {max_bytes} bytes")
            return res.status, {k.lower(): v for k, v in res.headers.items()}, data
    except urllib.error.HTTPError as e:
        try:
            data = e.read(64 << 10)
        except OSError:
            data = b""
        return e.code, {k.lower(): v for k, v in (e.headers or {}).items()}, data
