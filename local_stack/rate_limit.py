"""The deployed API's WAF rule `rate-limit-per-user` (infra/template.yaml), emulated: requests are counted
per Authorization header value over a sliding 60 s window; past the limit a caller is refused until its
oldest counted request leaves the window, with the template's answer (429, `Retry-After: 60`, the error
envelope with RATE_LIMITED; tests/infra/test_local_gateway_parity.py checks they agree).

Only admitted requests are counted, so a client that waits `Retry-After` seconds is admitted again; requests
without an Authorization header are not counted (WAF's custom key is absent: the rule does not apply).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60
DEFAULT_LIMIT = 300  # per caller per window: the template's RequestsPerUserPerMinute default
# The template's custom response (CustomResponseBodies.rate-limited and its Retry-After header).
RETRY_AFTER_SECONDS = 60
RATE_LIMITED_MESSAGE = "Too many requests in the last minute. Wait a minute, then try again."


@dataclass
class RateLimiter:
    limit: int = DEFAULT_LIMIT
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, key: str) -> float | None:
        """None when the request may pass (and is counted); else the seconds until it would."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - self.window_seconds:
                times.popleft()
            if len(times) >= self.limit:
                return times[0] + self.window_seconds - now
            times.append(now)
            return None
