"""The guard: keeps Firebreak's decisions in memory from the CrowdSec-compatible
bouncer stream (``GET /v1/decisions/stream``) and answers ``check(ip)`` from
memory only, so a request never waits on the network.

Sync state machine (one background thread, one pull in flight at most):

    need_full=True  --pull ok-->   need_full=False, healthy  (startup=true: replace the set)
    need_full=False --pull ok-->   healthy                   (delta: apply deleted, then new)
    any             --pull fails--> need_full=True, not healthy (keep enforcing; back off)

A failed pull may have lost a delta the server already counted as delivered,
so the first pull after any failure is a full ``startup=true`` re-sync. While
Firebreak is unreachable the last known decisions keep being enforced until
they expire (each at receipt time + its ``duration``).
"""

import json
import logging
import os
import random
import threading
import time
import weakref
from typing import Any, Callable, Optional

from . import _http
from ._ip import _AF_INET, _AF_INET6, _from_bytes, _inet_pton
from .decisions import ALLOW, DecisionSet, Verdict
from .token_bucket import TokenBuckets

log = logging.getLogger("firebreak")

_V6_KEY = 1 << 128  # token-bucket keys: IPv6 addresses never collide with IPv4 ones


class Guard:
    """Mirrors Firebreak's bans and rate limits for IPs and CIDR ranges.

    ``Guard(url, api_key)`` starts a daemon thread that pulls the stream every
    ``poll_interval`` seconds; ``check(ip)`` is memory only and never raises.
    Until the first successful pull the set is empty, so the guard fails open:
    Firebreak being down never takes the application down with it.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        poll_interval: float = 1.0,
        timeout: float = 2.0,
        max_backoff: float = 10.0,
        rate_per_sec: float = 10.0,
        burst: float = 20.0,
        unknown_type: str = "ban",
        on_error: Optional[Callable[[Exception], None]] = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
    ):
        if not isinstance(url, str) or not url:
            raise ValueError("Guard: url is required")
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("Guard: api_key is required")
        for name, v in (("poll_interval", poll_interval), ("timeout", timeout), ("max_backoff", max_backoff)):
            if not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"Guard: {name} must be a positive number")
        self._stream_url = url.rstrip("/") + "/v1/decisions/stream"
        self._api_key = api_key
        self._poll_interval = float(poll_interval)
        self._timeout = float(timeout)
        self._max_backoff = float(max_backoff)
        self._unknown_type = unknown_type
        self._on_error = on_error
        self._clock = clock
        self._set = DecisionSet(unknown_type)
        self._buckets = TokenBuckets(rate_per_sec, burst)
        self._need_full = True
        self._failures = 0
        self.healthy = False
        #: Wall-clock time (``time.time()``) of the last successful pull, or None.
        self.last_sync_at: Optional[float] = None
        self.last_error: Optional[Exception] = None
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._attempted = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        _guards.add(self)
        if start:
            self.start()

    # -- the hot path ---------------------------------------------------------

    def check(self, ip: Optional[str]) -> Verdict:
        """``ALLOW``, a ban verdict, or a rate_limit verdict with ``retry_after``
        seconds. Anything that is not an address is allowed."""
        s = self._set
        if s.empty or ip is None:
            return ALLOW
        try:
            if ":" not in ip:
                family = 4
                addr = _from_bytes(_inet_pton(_AF_INET, ip), "big")
            else:
                pct = ip.find("%")
                addr = _from_bytes(_inet_pton(_AF_INET6, ip if pct < 0 else ip[:pct]), "big")
                if addr >> 32 == 0xFFFF:
                    family = 4
                    addr &= 0xFFFFFFFF
                else:
                    family = 6
        except (OSError, TypeError, ValueError):
            return ALLOW
        # The miss path inline (see DecisionSet.match): exact entry, /16 (/32) gate, wide ranges.
        exact, gate, shift, wide = s.fast4 if family == 4 else s.fast6
        slot = exact.get(addr)
        if slot is None:
            if not wide and (addr >> shift) not in gate:
                return ALLOW
        elif len(slot) == 1:
            # The common hit: one live ban on this very address wins outright.
            only = slot[0]
            if only.ban and only.expires_at > self._clock():
                return only.verdict
        rec = s.match(family, addr, self._clock)
        if rec is None:
            return ALLOW
        if rec.ban:
            return rec.verdict
        wait = self._buckets.take(addr if family == 4 else addr | _V6_KEY, self._clock())
        return ALLOW if wait == 0 else Verdict("rate_limit", rec.decision, wait)

    def __len__(self) -> int:
        self._set.sweep(self._clock())
        return len(self._set)

    size = __len__

    # -- sync -----------------------------------------------------------------

    def apply(self, body: Any, startup: bool = False) -> None:
        """Applies one stream answer. A startup answer replaces the whole set:
        it is built aside while the old set keeps answering, then swapped in."""
        if not isinstance(body, dict):
            raise ValueError("stream answer is not an object")
        now = self._clock()
        target = DecisionSet(self._unknown_type) if startup else self._set
        if not startup:
            for d in body.get("deleted") or ():
                target.remove(d)
        for d in body.get("new") or ():
            target.add(d, now)
        self._set = target

    def _pull(self) -> None:
        full = self._need_full
        url = self._stream_url + ("?startup=true" if full else "")
        try:
            status, _headers, raw = _http.request(
                "GET", url, {"X-Api-Key": self._api_key, "Accept": "application/json"}, None, self._timeout
            )
            if status != 200:
                raise OSError(f"decision stream answered HTTP {status}")
            self.apply(json.loads(raw), full)
        except Exception as err:  # noqa: BLE001 - every failure means: keep enforcing, back off, re-sync
            self._need_full = True
            self.healthy = False
            self._failures += 1
            self.last_error = err
            if self._failures == 1 or self._failures % 30 == 0:
                log.warning("firebreak guard: decision stream pull failed (%s); enforcing %d known decisions", err, len(self._set))
            if self._on_error is not None:
                try:
                    self._on_error(err)
                except Exception:  # noqa: BLE001 - a faulty handler must not stop syncing
                    pass
            return
        if self._failures > 0:
            log.info("firebreak guard: decision stream back after %d failed pull(s)", self._failures)
        self._need_full = False
        self.healthy = True
        self._failures = 0
        self.last_error = None
        self.last_sync_at = time.time()
        self._synced.set()

    def _next_delay(self) -> float:
        if self._failures == 0:
            return self._poll_interval
        base = min(self._max_backoff, self._poll_interval * 2 ** min(self._failures - 1, 20))
        return base * (0.8 + random.random() * 0.4)  # jitter: bouncers must not return in lockstep

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._pull()
            self._attempted.set()
            now = self._clock()
            self._set.sweep(now)
            self._buckets.prune(now)
            stop.wait(self._next_delay())

    def start(self) -> "Guard":
        """Starts the sync thread (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self
            self._stop = threading.Event()
            self._need_full = True
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="firebreak-guard", daemon=True)
            self._thread.start()
        return self

    def wait_synced(self, timeout: Optional[float] = None) -> bool:
        """Waits for the first successful pull; False on timeout."""
        return self._synced.wait(timeout)

    def wait_attempted(self, timeout: Optional[float] = None) -> bool:
        """Waits for the first pull to end, successful or not."""
        return self._attempted.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stops the sync thread; ``check`` keeps answering from what it has."""
        with self._lock:
            self._stop.set()
            t = self._thread
            self._thread = None
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def _after_fork(self) -> None:
        # Threads do not survive fork (gunicorn --preload, multiprocessing):
        # the child restarts its own sync thread and keeps the inherited set.
        self._lock = threading.Lock()
        self._buckets._after_fork()
        if self._thread is not None:
            self._thread = None
            self.start()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_guards: "weakref.WeakSet[Guard]" = weakref.WeakSet()


def _restart_after_fork() -> None:
    for g in list(_guards):
        g._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_after_fork)
