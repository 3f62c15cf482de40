"""Starting Rekognition calls no faster than this instance's share of the account's TPS quota.

Rekognition's quotas are per API, per account and region, shared by every worker instance. Retrying after
throttling (botocore's adaptive mode) finds the limit by hitting it: calls are refused, retried with backoff,
and a job whose calls stay throttled is released and tried again later, so at volume the quota goes partly
unused. When the operator names the quota, each instance instead spaces its calls of each API, starting
at its share, quota / instances (the SQS event source's MaximumConcurrency), which every instance may use
at once without exceeding the quota. An instance does not know how many others are busy, so it probes
above its share while calls succeed (additive increase, up to the whole quota) and falls back towards the
share when Rekognition throttles one of them (multiplicative decrease, never below the share): a lone
busy instance takes the whole quota and a busy fleet shares it. Probing costs refused attempts (unbilled;
most of them botocore's quick retries of a refused call, docs/benchmarks.md "Local stack"). The client then
retries throttled calls in botocore's standard mode: adaptive mode's own limiter is per client, so one
throttled API would slow the other three.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from imagejobs.model import Feature
from worker.adapters.rekognition import THROTTLING, Recognizer, ThrottledError

# Each success raises the rate by this share of the floor; each throttled attempt divides it by BACKOFF.
INCREASE = 0.1
BACKOFF = 1.5
# The call whose turn is next reads the rate again at least this often while it waits: a batch's calls
# queue at once, and a rate that rose meanwhile (the rest of the fleet went idle) must shorten their wait.
RECHECK_SECONDS = 0.05
# A call still throttled after botocore's retries is tried again this many times at the pacer's pace
# before its job is released: with the fleet near the quota, the next slot usually gets through.
PACED_ROUNDS = 3


class Pacer:
    """Lets calls start 1/rate apart, in call order, the interval read at each start from the current rate
    (a start time fixed when the call queued would hold a batch at the rate it arrived with). No burst: a
    quota measured per second is exceeded by a burst even when the average is right. The rate moves between
    `rate` (the floor) and `ceiling` with what the calls report."""

    def __init__(
        self,
        rate: float,
        ceiling: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.floor = rate
        self.ceiling = max(rate, ceiling if ceiling is not None else rate)
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._last = float("-inf")
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    async def wait(self) -> None:
        async with self._turn():
            while True:
                now = self._clock()
                due = self._last + self.interval
                if now >= due:
                    break
                await self._sleep(min(due - now, RECHECK_SECONDS))
            self._last = now

    def _turn(self) -> asyncio.Lock:
        """The FIFO of waiting calls. A pacer outlives invocations, and an execution environment whose loop
        was replaced must not wait on a lock of the old one."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        return self._turns[1]

    def succeeded(self) -> None:
        self.rate = min(self.ceiling, self.rate + INCREASE * self.floor)

    def throttled(self) -> None:
        self.rate = max(self.floor, self.rate / BACKOFF)


def pacers_for(tps_quota: float, instances: int) -> dict[Feature, Pacer]:
    """One pacer per API from this instance's share of the quota up to all of it; none without a quota."""
    if tps_quota <= 0:
        return {}
    return {feature: Pacer(tps_quota / max(1, instances), ceiling=tps_quota) for feature in Feature}


def observe_throttling(client: Any, pacers: Mapping[Feature, Pacer]) -> None:
    """Slow an API's pacer at each throttled attempt, retries included (botocore retries inside one call,
    so the caller only sees the last attempt). `needs-retry` handlers that return None change nothing."""
    by_operation = {feature.operation: pacer for feature, pacer in pacers.items()}

    def on_attempt(response: Any = None, operation: Any = None, **_: Any) -> None:
        pacer = by_operation.get(getattr(operation, "name", ""))
        if pacer is None or not response or response[1] is None:
            return
        code = response[1].get("Error", {}).get("Code", "")
        if code in THROTTLING:
            pacer.throttled()

    client.meta.events.register("needs-retry.rekognition", on_attempt)


class PacedRecognizer:
    """A Recognizer whose calls of each API start at the pace of that API's pacer (unpaced without one)."""

    def __init__(self, inner: Recognizer, pacers: Mapping[Feature, Pacer]) -> None:
        self._inner = inner
        self.pacers = pacers

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        pacer = self.pacers.get(feature)
        if pacer is None:
            return await self._inner.detect(feature, request)
        for round_ in range(PACED_ROUNDS):
            await pacer.wait()
            try:
                response = await self._inner.detect(feature, request)
            except ThrottledError:
                if round_ == PACED_ROUNDS - 1:
                    raise
                continue
            pacer.succeeded()
            return response
        raise AssertionError("unreachable")  # pragma: no cover
