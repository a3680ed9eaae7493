"""Reports events to Firebreak (``POST /api/v1/events``) off the request path.

Delivery: ``event()`` validates and serializes the event, appends it to a
bounded in-memory queue and returns; a daemon thread sends batches of at most
``max_batch`` every ``flush_interval`` seconds (sooner when a batch is full,
and within 50 ms of a login event: bans wait for those).
A batch that fails on the network, a timeout, 408, 425, 429 or 5xx goes back
to the front of the queue and the next try waits for ``Retry-After`` (when the
server sends one) or an exponential backoff. Other 4xx answers mean the batch
itself is wrong: it is dropped and counted. When the queue is full the
*oldest* events are dropped (counted in ``dropped`` and logged, at most every
10 s): detection windows are minutes long, so fresh events are worth more
than stale ones. Nothing here ever raises into the caller or waits on the
network, except ``flush()`` and ``close()``, which are meant to.
"""

import collections
import logging
import random
import threading
import time
from typing import Any, Callable, Deque, List, Optional

from . import _http
from ._wire import RETRYABLE, rejected, retry_after, serialize_event

log = logging.getLogger("firebreak")

_DROP_LOG_EVERY = 10.0
# Login events leave this soon instead of waiting for the flush interval: a
# ban is only as fast as the failed logins reach Firebreak.
_URGENT_DELAY = 0.05


class Reporter:
    """``Reporter(url, token)`` with a token of the ``ingest`` role."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        flush_interval: float = 1.0,
        max_batch: int = 500,
        max_queue: int = 10_000,
        timeout: float = 5.0,
        max_backoff: float = 30.0,
        on_error: Optional[Callable[[Exception], None]] = None,
    ):
        if not isinstance(url, str) or not url:
            raise ValueError("Reporter: url is required")
        if not isinstance(token, str) or not token:
            raise ValueError("Reporter: token is required")
        for name, v in (("flush_interval", flush_interval), ("timeout", timeout), ("max_backoff", max_backoff)):
            if not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"Reporter: {name} must be a positive number")
        if int(max_batch) < 1 or int(max_queue) < 1:
            raise ValueError("Reporter: max_batch and max_queue must be at least 1")
        self._endpoint = url.rstrip("/") + "/api/v1/events"
        self._token = token
        self._flush_interval = float(flush_interval)
        self._max_batch = int(max_batch)
        self._max_queue = int(max_queue)
        self._timeout = float(timeout)
        self._max_backoff = float(max_backoff)
        self._on_error = on_error
        self._queue: Deque[str] = collections.deque()
        self._cond = threading.Condition()
        # One sender at a time (the thread, or flush()/close()), so batches leave in order.
        self._send_lock = threading.Lock()
        self._failures = 0
        self._retry_at = 0.0
        self._closed = False
        self._urgent = False
        self._dropped_logged = 0
        self._drop_logged_at = 0.0
        #: Events dropped: queue full, invalid, refused by the server, or reported after close().
        self.dropped = 0
        #: Events Firebreak accepted (a batch's rejected events count as dropped).
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="firebreak-reporter", daemon=True)
        self._thread.start()

    # -- the request path -----------------------------------------------------

    def login_failed(self, ip: str, user_id: Optional[str] = None, route: Optional[str] = None, **fields: Any) -> None:
        """An ``auth.login_failed`` event (brute force, credential stuffing)."""
        self._login("auth.login_failed", ip, user_id, route, fields)

    def login_succeeded(self, ip: str, user_id: Optional[str] = None, route: Optional[str] = None, **fields: Any) -> None:
        """An ``auth.login_succeeded`` event (account compromise)."""
        self._login("auth.login_succeeded", ip, user_id, route, fields)

    def _login(self, kind: str, ip: Any, user_id: Any, route: Any, fields: dict) -> None:
        # Login events without an address are useless to the per-IP rules.
        if not isinstance(ip, str):
            self._drop(1, "a login event without an ip")
            return
        if user_id is not None:
            fields["user_id"] = user_id
        if route is not None:
            fields["route"] = route
        self._event(kind, fields, True, ip=ip)

    def event(self, type: str, **fields: Any) -> None:  # noqa: A002 - the event's own field name
        """Any event: ``event("http.request", ip=..., route=..., status=500)``.
        ``ts`` defaults to now; ``ip`` is canonicalized. Never raises."""
        self._event(type, fields, False)

    def _event(self, kind: Any, fields: dict, urgent: bool, **more: Any) -> None:
        try:
            line, why = serialize_event(kind, {**fields, **more})
        except Exception as err:  # noqa: BLE001 - reporting must never break the caller
            line, why = None, f"an event that cannot be serialized ({err})"
        if line is None:
            self._drop(1, why)
            return
        self._enqueue(line, urgent)

    def _enqueue(self, line: str, urgent: bool = False) -> None:
        with self._cond:
            if self._closed:
                self._drop_locked(1)
                return
            if len(self._queue) >= self._max_queue:
                self._queue.popleft()
                self._drop_locked(1)
            self._queue.append(line)
            if urgent:
                self._urgent = True
            if urgent or len(self._queue) >= self._max_batch:
                self._cond.notify()

    def _drop(self, n: int, why: str) -> None:
        with self._cond:
            self._drop_locked(n)
        log.debug("firebreak reporter: dropped %s", why)

    def _drop_locked(self, n: int) -> None:
        self.dropped += n
        now = time.monotonic()
        if now - self._drop_logged_at >= _DROP_LOG_EVERY:
            log.warning(
                "firebreak reporter: %d event(s) dropped so far (%d since the last warning); queue %d/%d",
                self.dropped,
                self.dropped - self._dropped_logged,
                len(self._queue),
                self._max_queue,
            )
            self._drop_logged_at = now
            self._dropped_logged = self.dropped

    @property
    def pending(self) -> int:
        return len(self._queue)

    # -- delivery -------------------------------------------------------------

    def _fail(self, err: Exception) -> None:
        if self._on_error is not None:
            try:
                self._on_error(err)
            except Exception:  # noqa: BLE001
                pass

    def _send_batch(self) -> bool:
        """Sends one batch. True on success or a dropped bad batch, False to retry later."""
        with self._cond:
            n = min(self._max_batch, len(self._queue))
            batch: List[str] = [self._queue.popleft() for _ in range(n)]
        if not batch:
            return True
        body = ("[" + ",".join(batch) + "]").encode()
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        try:
            status, res_headers, answer = _http.request("POST", self._endpoint, headers, body, self._timeout, 1 << 20)
        except Exception as err:  # noqa: BLE001 - network errors and timeouts: retry
            self._requeue(batch, None)
            log.warning("firebreak reporter: event ingest unreachable (%s); %d event(s) queued", err, self.pending)
            self._fail(err)
            return False
        if 200 <= status < 300:
            # Firebreak accepts a batch event by event: {"accepted": n, "rejected": [{index, error}]}.
            refused = rejected(answer)
            with self._cond:
                self._failures = 0
                self._retry_at = 0.0
                self.sent += len(batch) - len(refused)
            if refused:
                self._drop(len(refused), "events Firebreak rejected")
                log.warning("firebreak reporter: Firebreak rejected %d event(s), e.g. %s", len(refused), refused[0].get("error"))
            return True
        if status in RETRYABLE:
            self._requeue(batch, retry_after(res_headers.get("retry-after")))
            err = OSError(f"event ingest answered HTTP {status}; will retry")
            log.warning("firebreak reporter: %s", err)
            self._fail(err)
            return False
        with self._cond:
            self.dropped += len(batch)
        err = OSError(f"event ingest answered HTTP {status}; dropped {len(batch)} events")
        log.error("firebreak reporter: %s", err)
        self._fail(err)
        return True

    def _requeue(self, batch: List[str], wait: Optional[float]) -> None:
        with self._cond:
            self._failures += 1
            backoff = min(self._max_backoff, 0.5 * 2 ** min(self._failures - 1, 16)) * (0.8 + random.random() * 0.4)
            self._retry_at = time.monotonic() + (backoff if wait is None else wait)
            # The batch is older than anything queued since; it goes first, and the queue stays bounded.
            room = self._max_queue - len(self._queue)
            if room < len(batch):
                self._drop_locked(len(batch) - max(0, room))
                batch = batch[len(batch) - max(0, room) :] if room > 0 else []
            self._queue.extendleft(reversed(batch))

    def _drain(self, ignore_backoff: bool) -> bool:
        """Sends until the queue is empty or a send fails."""
        with self._send_lock:
            while self._queue and (ignore_backoff or time.monotonic() >= self._retry_at):
                if not self._send_batch():
                    return False
            return not self._queue

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._closed and len(self._queue) < self._max_batch and not self._urgent:
                    self._cond.wait(self._flush_interval)
                if self._closed:
                    return
                urgent = self._urgent
                self._urgent = False
            if urgent:
                time.sleep(_URGENT_DELAY)  # one batch for a burst of logins, not one request each
            self._drain(False)

    def flush(self) -> bool:
        """Sends what is queued now, ignoring any backoff; stops at the first
        failure. True when the queue is empty. Blocks: not for the request path."""
        return self._drain(True)

    def close(self, timeout: float = 5.0) -> bool:
        """Stops the background thread, then sends what is still queued (one
        try). Events reported afterwards are dropped. True when all were delivered."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)
        saved = self._timeout
        self._timeout = min(saved, timeout)
        try:
            return self._drain(True)
        finally:
            self._timeout = saved

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
