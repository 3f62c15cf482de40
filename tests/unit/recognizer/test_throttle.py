from __future__ import annotations

from local_stack.recognizer.throttle import ApiQuota, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_one_second_of_burst_then_refuses() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock)
    assert [bucket.try_take() for _ in range(6)] == [True] * 5 + [False]


def test_a_bucket_refills_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, clock=clock)
    assert bucket.try_take() and bucket.try_take()
    assert not bucket.try_take()
    clock.now += 0.5
    assert bucket.try_take()
    assert not bucket.try_take()


def test_quota_is_per_api() -> None:
    clock = FakeClock()
    quota = ApiQuota(1, clock=clock)
    assert quota.admit("DetectLabels")
    assert not quota.admit("DetectLabels")
    assert quota.admit("DetectFaces")


def test_no_quota_admits_everything() -> None:
    quota = ApiQuota(None)
    assert all(quota.admit("DetectLabels") for _ in range(1000))
