"""Token buckets per client address for ``rate_limit`` decisions.

A bucket holds up to ``burst`` tokens and refills at ``rate_per_sec``; a
request takes one token. Buckets exist only for addresses under a rate_limit
decision and are pruned once full again (an idle bucket carries no
information). Their number is capped: a client rotating through the
addresses of a rate-limited range (an IPv6 /48 holds 2^80) must not grow
memory without bound, so at the cap a new address gets no fresh burst and
is limited at once (it is under a rate_limit decision anyway).
"""

import math
import threading
from typing import Dict, List


class TokenBuckets:
    def __init__(self, rate_per_sec: float = 10.0, burst: float = 20.0, max_buckets: int = 100_000):
        if not rate_per_sec > 0 or not burst >= 1:
            raise ValueError("rate_limit: rate_per_sec must be > 0 and burst >= 1")
        self.rate = float(rate_per_sec)
        self.burst = float(burst)
        self.max_buckets = max_buckets
        self._buckets: Dict[int, List[float]] = {}  # key -> [tokens, last]
        self._pruned_at = 0.0
        # WSGI servers call check() from many threads; a bucket is read-modify-write.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: int, now: float) -> int:
        """Takes one token for ``key`` at ``now`` (seconds). 0 when the request
        is within the bucket, else the whole seconds until a token is available (>= 1)."""
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                if len(self._buckets) >= self.max_buckets:
                    if now - self._pruned_at >= 1.0:
                        self._prune(now)
                    if len(self._buckets) >= self.max_buckets:
                        return max(1, math.ceil(1 / self.rate))
                b = [self.burst, now]
                self._buckets[key] = b
            elif now > b[1]:
                b[0] = min(self.burst, b[0] + (now - b[1]) * self.rate)
                b[1] = now
            if b[0] >= 1:
                b[0] -= 1
                return 0
            return max(1, math.ceil((1 - b[0]) / self.rate))

    def prune(self, now: float) -> None:
        """Forgets buckets that have refilled completely by ``now``."""
        with self._lock:
            self._prune(now)

    def _prune(self, now: float) -> None:
        self._pruned_at = now
        full_after = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b[1] >= full_after]:
            del self._buckets[key]

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
