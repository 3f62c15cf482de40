"""A per-API token bucket: the simulated TPS quota of the real service."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second, holding at most `capacity`; one call takes one token or is refused."""

    def __init__(self, rate: float, capacity: float | None = None, clock: Callable[[], float] = time.monotonic):
        self._rate = rate
        # A burst of one second's worth, as Rekognition's quotas are stated per second.
        self._capacity = max(1.0, rate if capacity is None else capacity)
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def try_take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class ApiQuota:
    """One bucket per API name, created on first use; no quota at all when `tps` is None."""

    def __init__(self, tps: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._tps = tps
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def admit(self, api: str) -> bool:
        if self._tps is None:
            return True
        with self._lock:
            bucket = self._buckets.get(api)
            if bucket is None:
                bucket = self._buckets[api] = TokenBucket(self._tps, clock=self._clock)
        return bucket.try_take()
