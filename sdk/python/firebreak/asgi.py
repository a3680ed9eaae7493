"""FirebreakMiddleware: pure ASGI, so FastAPI, Starlette and any ASGI app.

- 403 (JSON) for a banned client, 429 with ``Retry-After`` for one over its
  rate limit, before the app does any work for the request; WebSocket
  handshakes from blocked clients are closed with code 1008 (policy violation).
- The client is the connection's peer address or, only when the peer is one
  of ``trusted_proxies``, the right-most untrusted ``X-Forwarded-For`` entry
  (see client_ip.py).
- With a ``reporter``, every request the app answers is reported as an
  ``http.request`` event (method, route template, status, latency), so the
  ``ddos``, ``high_error_rate`` and ``performance_degradation`` rules work
  from the app itself. An exception escaping the app counts as a 500.
  Blocked requests are not reported (``report_blocked=True`` to report them):
  a flood from a banned address must not push real events out of the queue.
- The address it used is ``request.state.firebreak_client_ip`` (Starlette,
  FastAPI) or ``scope["state"]["firebreak_client_ip"]``: report logins with it.
- A failure inside the guard lets the request through (fail open): the guard
  must never take the application down.
"""

import time
from typing import Any, Awaitable, Callable, Dict, Iterable, List, MutableMapping, Optional

from ._answers import FORBIDDEN_BODY, JSON_TYPE, RATE_LIMITED_BODY
from .client_ip import ClientAddress
from .decisions import Verdict

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_MAX_ROUTE = 200


def route_template(scope: Scope) -> Optional[str]:
    """The matched route's template (``/items/{item_id}``) when the framework
    records it in the scope (FastAPI and Starlette routers do, as ``route``),
    else the raw path."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(path, str):
        path = scope.get("path")
    if not isinstance(path, str):
        return None
    return path[:_MAX_ROUTE]


class FirebreakMiddleware:
    """``app.add_middleware(FirebreakMiddleware, guard=guard, reporter=reporter, trusted_proxies=["10.0.0.0/8"])``"""

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        guard: Any = None,
        reporter: Any = None,
        trusted_proxies: Iterable[str] = (),
        get_client_ip: Optional[Callable[[Scope], Optional[str]]] = None,
        on_block: Optional[Callable[[Scope, Verdict], None]] = None,
        report_blocked: bool = False,
    ):
        if guard is None and reporter is None:
            raise ValueError("FirebreakMiddleware: give a guard, a reporter, or both")
        self.app = app
        self.guard = guard
        self.reporter = reporter
        self._client = ClientAddress(trusted_proxies)
        self._get_client_ip = get_client_ip
        self._on_block = on_block
        self._report_blocked = report_blocked

    def client_ip(self, scope: Scope) -> Optional[str]:
        if self._get_client_ip is not None:
            return self._get_client_ip(scope)
        client = scope.get("client")
        peer = client[0] if client else None
        if not self._client.enabled:
            return peer
        xff: List[str] = [v.decode("latin-1") for k, v in scope.get("headers") or () if k == b"x-forwarded-for"]
        return self._client.resolve(peer, xff)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        ip = None
        verdict = None
        try:
            ip = self.client_ip(scope)
            # The app reads it as request.state.firebreak_client_ip, e.g. to report a failed login.
            scope.setdefault("state", {})["firebreak_client_ip"] = ip
            if self.guard is not None:
                verdict = self.guard.check(ip)
        except Exception:  # noqa: BLE001 - fail open
            verdict = None
        if verdict is not None and verdict.action != "allow":
            if self._on_block is not None:
                try:
                    self._on_block(scope, verdict)
                except Exception:  # noqa: BLE001 - the default answer still goes out
                    pass
            status = await self._refuse(scope, send, verdict)
            if self._report_blocked:
                self._report(scope, ip, status, started)
            return
        if self.reporter is None or kind != "http":
            await self.app(scope, receive, send)
            return
        state: Dict[str, int] = {"status": 500}

        async def send_status(message: MutableMapping[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                state["status"] = int(message.get("status", 500))
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except BaseException:
            # Whatever was already sent, an exception is an error of the app.
            state["status"] = 500
            raise
        finally:
            self._report(scope, ip, state["status"], started)

    def _report(self, scope: Scope, ip: Optional[str], status: int, started: float) -> None:
        if self.reporter is None:
            return
        try:
            self.reporter.event(
                "http.request",
                ip=ip,
                method=scope.get("method"),
                route=route_template(scope),
                status=status,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        except Exception:  # noqa: BLE001 - reporting never breaks a request
            pass

    async def _refuse(self, scope: Scope, send: Send, verdict: Verdict) -> int:
        if scope.get("type") == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return 403
        if verdict.action == "ban":
            status, body = 403, FORBIDDEN_BODY
            headers = [(b"content-type", JSON_TYPE.encode())]
        else:
            status, body = 429, RATE_LIMITED_BODY
            headers = [(b"content-type", JSON_TYPE.encode()), (b"retry-after", str(verdict.retry_after).encode())]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return status
