"""FirebreakWSGIMiddleware: the same enforcement and reporting for WSGI apps
(Flask, Django): ``app.wsgi_app = FirebreakWSGIMiddleware(app.wsgi_app, guard=guard)``.

The client address is ``REMOTE_ADDR`` or, only from ``trusted_proxies``, the
right-most untrusted ``X-Forwarded-For`` entry. WSGI has no route template,
so reported requests carry the path. The address used is in
``environ["firebreak.client_ip"]``. The status is taken when the app calls
``start_response``; an exception escaping the app counts as a 500. Latency
is measured to the end of the response body (when the server closes it).
"""

import time
from typing import Any, Callable, Iterable, Optional

from ._answers import FORBIDDEN_BODY, JSON_TYPE, RATE_LIMITED_BODY
from .client_ip import ClientAddress
from .decisions import Verdict

_MAX_ROUTE = 200


class _Closing:
    """Wraps the app's body iterable to report once the server has sent it."""

    def __init__(self, it: Iterable[bytes], done: Callable[[], None]):
        self._it = it
        self._done = done

    def __iter__(self):
        return iter(self._it)

    def close(self) -> None:
        try:
            close = getattr(self._it, "close", None)
            if close is not None:
                close()
        finally:
            self._done()


class FirebreakWSGIMiddleware:
    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        guard: Any = None,
        reporter: Any = None,
        trusted_proxies: Iterable[str] = (),
        on_block: Optional[Callable[[dict, Verdict], None]] = None,
    ):
        if guard is None and reporter is None:
            raise ValueError("FirebreakWSGIMiddleware: give a guard, a reporter, or both")
        self.app = app
        self.guard = guard
        self.reporter = reporter
        self._client = ClientAddress(trusted_proxies)
        self._on_block = on_block

    def client_ip(self, environ: dict) -> Optional[str]:
        peer = environ.get("REMOTE_ADDR") or None
        xff = environ.get("HTTP_X_FORWARDED_FOR")
        return self._client.resolve(peer, [xff] if xff else [])

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        ip = None
        verdict = None
        try:
            ip = self.client_ip(environ)
            environ["firebreak.client_ip"] = ip
            if self.guard is not None:
                verdict = self.guard.check(ip)
        except Exception:  # noqa: BLE001 - fail open
            verdict = None
        if verdict is not None and verdict.action != "allow":
            if self._on_block is not None:
                try:
                    self._on_block(environ, verdict)
                except Exception:  # noqa: BLE001
                    pass
            headers = [("Content-Type", JSON_TYPE)]
            if verdict.action == "ban":
                body, status = FORBIDDEN_BODY, "403 Forbidden"
            else:
                body, status = RATE_LIMITED_BODY, "429 Too Many Requests"
                headers.append(("Retry-After", str(verdict.retry_after)))
            headers.append(("Content-Length", str(len(body))))
            start_response(status, headers)
            return [body]
        if self.reporter is None:
            return self.app(environ, start_response)
        state = {"status": 500, "reported": False}

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            try:
                state["status"] = int(status.split(" ", 1)[0])
            except ValueError:
                state["status"] = 500
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        def done() -> None:
            if state["reported"]:
                return
            state["reported"] = True
            try:
                self.reporter.event(
                    "http.request",
                    ip=ip,
                    method=environ.get("REQUEST_METHOD"),
                    route=(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))[:_MAX_ROUTE] or "/",
                    status=state["status"],
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                )
            except Exception:  # noqa: BLE001 - reporting never breaks a request
                pass

        try:
            body = self.app(environ, start)
        except BaseException:
            state["status"] = 500
            done()
            raise
        return _Closing(body, done)
