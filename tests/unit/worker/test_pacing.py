"""Pacing Rekognition calls at this instance's share of the account's quota (worker/pacing.py)."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace
from typing import Any

import pytest

from imagejobs.model import Feature
from worker.adapters.rekognition import ThrottledError
from worker.pacing import BACKOFF, INCREASE, PACED_ROUNDS, PacedRecognizer, Pacer, observe_throttling, pacers_for


class FakeClock:
    """Time that only moves when a caller sleeps: start times are exact."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class RecordingRecognizer:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[Feature, float]] = []

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((feature, self.clock.now))
        return {"feature": feature.value, **request}


def test_calls_start_one_interval_apart_and_the_first_at_once() -> None:
    clock = FakeClock()
    pacer = Pacer(4, clock=clock, sleep=clock.sleep)
    starts = []

    async def run() -> None:
        for _ in range(5):
            await pacer.wait()
            starts.append(clock.now)

    asyncio.run(run())
    assert starts == pytest.approx([100.0, 100.25, 100.5, 100.75, 101.0])


def test_a_pacer_idle_for_a_while_does_not_save_up_a_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(2, clock=clock, sleep=clock.sleep)

    async def run() -> list[float]:
        await pacer.wait()
        clock.now += 60  # a minute between invocations
        starts = []
        for _ in range(3):
            await pacer.wait()
            starts.append(clock.now)
        return starts

    assert asyncio.run(run()) == pytest.approx([160.0, 160.5, 161.0])


def test_concurrent_callers_are_spaced_in_call_order() -> None:
    clock = FakeClock()
    inner = RecordingRecognizer(clock)
    paced = PacedRecognizer(inner, {Feature.LABELS: Pacer(10, clock=clock, sleep=clock.sleep)})

    async def run() -> None:
        await asyncio.gather(*(paced.detect(Feature.LABELS, {"n": n}) for n in range(4)))

    asyncio.run(run())
    assert [start for _, start in inner.calls] == pytest.approx([100.0, 100.1, 100.2, 100.3])


def test_each_api_has_its_own_pace_and_an_api_without_a_pacer_is_not_held() -> None:
    clock = FakeClock()
    inner = RecordingRecognizer(clock)
    pacers = {
        Feature.LABELS: Pacer(1, clock=clock, sleep=clock.sleep),
        Feature.TEXT: Pacer(1, clock=clock, sleep=clock.sleep),
    }
    paced = PacedRecognizer(inner, pacers)

    async def run() -> None:
        await paced.detect(Feature.LABELS, {})
        await paced.detect(Feature.TEXT, {})  # another API's first call: no wait for LABELS' slot
        await paced.detect(Feature.FACES, {})  # unpaced
        await paced.detect(Feature.LABELS, {})

    asyncio.run(run())
    assert [(feature, start) for feature, start in inner.calls] == [
        (Feature.LABELS, 100.0),
        (Feature.TEXT, 100.0),
        (Feature.FACES, 100.0),
        (Feature.LABELS, 101.0),
    ]


def test_the_share_is_the_quota_over_the_instances_and_no_quota_means_no_pacing() -> None:
    pacers = pacers_for(tps_quota=50, instances=10)
    assert set(pacers) == set(Feature)
    assert all(pacer.interval == pytest.approx(0.2) for pacer in pacers.values())
    assert pacers_for(tps_quota=0, instances=10) == {}
    with pytest.raises(ValueError):
        Pacer(0)


def test_the_rate_grows_while_calls_succeed_up_to_the_quota_and_backs_off_down_to_the_share() -> None:
    pacer = Pacer(2, ceiling=4)
    for _ in range(10):
        pacer.succeeded()
    assert pacer.rate == pytest.approx(2 + 10 * INCREASE * 2)
    for _ in range(1000):
        pacer.succeeded()
    assert pacer.rate == pytest.approx(4.0)
    pacer.throttled()
    assert pacer.rate == pytest.approx(4.0 / BACKOFF)
    for _ in range(10):
        pacer.throttled()
    assert pacer.rate == pytest.approx(2.0)  # the share is safe whatever the others do


def test_a_throttled_attempt_inside_botocore_slows_that_api_only() -> None:
    """The hook sits on botocore's own `needs-retry` event, which fires for every attempt of a call."""
    import boto3

    client = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    pacers = pacers_for(tps_quota=8, instances=4)
    for pacer in pacers.values():
        pacer.rate = 6.0
    observe_throttling(client, pacers)

    def attempt(operation: str, code: str | None) -> None:
        parsed = {"Error": {"Code": code, "Message": "slow down"}} if code else {"Labels": []}
        client.meta.events.emit(
            f"needs-retry.rekognition.{operation}",
            response=(SimpleNamespace(status_code=400 if code else 200, headers={}), parsed),
            endpoint=None,
            operation=client.meta.service_model.operation_model(operation),
            attempts=99,  # botocore's own handler, also listening, then gives up instead of sleeping
            caught_exception=None,
            request_dict={"context": {}},
        )

    attempt("DetectLabels", "ProvisionedThroughputExceededException")
    attempt("DetectText", None)
    attempt("DetectFaces", "InvalidImageFormatException")
    assert pacers[Feature.LABELS].rate == pytest.approx(6.0 / BACKOFF)
    assert pacers[Feature.TEXT].rate == pacers[Feature.FACES].rate == pytest.approx(6.0)


class ThrottledThenFine(RecordingRecognizer):
    def __init__(self, clock: FakeClock, refusals: int) -> None:
        super().__init__(clock)
        self.refusals = refusals

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((feature, self.clock.now))
        if len(self.calls) <= self.refusals:
            raise ThrottledError("DetectLabels throttled: ThrottlingException")
        return {}


def test_a_call_still_throttled_after_botocore_retries_waits_for_its_next_slot() -> None:
    clock = FakeClock()
    inner = ThrottledThenFine(clock, refusals=PACED_ROUNDS - 1)
    paced = PacedRecognizer(inner, {Feature.LABELS: Pacer(2, clock=clock, sleep=clock.sleep)})

    assert asyncio.run(paced.detect(Feature.LABELS, {})) == {}
    assert [start for _, start in inner.calls] == pytest.approx([100 + n * 0.5 for n in range(PACED_ROUNDS)])

    stubborn = PacedRecognizer(
        ThrottledThenFine(clock, refusals=10**6), {Feature.LABELS: Pacer(2, clock=clock, sleep=clock.sleep)}
    )
    with pytest.raises(ThrottledError):  # then the job is released and retried later (worker/handle_jobs.py)
        asyncio.run(stubborn.detect(Feature.LABELS, {}))


def test_calls_already_waiting_start_sooner_when_the_rate_rises() -> None:
    """A batch's calls queue at once; when the rest of the fleet goes idle and the rate climbs, the queued
    calls must not keep the spacing they queued with."""
    clock = FakeClock()
    pacer = Pacer(1, ceiling=4, clock=clock, sleep=clock.sleep)
    inner = RecordingRecognizer(clock)
    paced = PacedRecognizer(inner, {Feature.LABELS: pacer})

    async def run() -> None:
        await asyncio.gather(*(paced.detect(Feature.LABELS, {"n": n}) for n in range(6)))

    asyncio.run(run())
    starts = [start for _, start in inner.calls]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    expected = [1 / (1 + k * INCREASE) for k in range(1, 6)]  # each success raised the rate before the next start
    assert gaps == pytest.approx(expected, abs=1e-6)


def test_a_pacer_survives_its_event_loop() -> None:
    """The execution environment keeps its pacers; a new loop (after a failed invocation) still paces."""
    pacer = Pacer(1000)

    async def burst() -> None:
        await asyncio.gather(*(pacer.wait() for _ in range(3)))

    asyncio.run(burst())
    asyncio.run(burst())
