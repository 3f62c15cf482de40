"""Over the TPS quota botocore sees throttling; adaptive retries still get every call through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image

from local_stack.recognizer import RecognizerConfig, RecognizerServer, start_recognizer

from .conftest import jpeg, rekognition_client

DATA = jpeg(Image.new("RGB", (160, 120), (1, 2, 3)))


@pytest.fixture
def limited_server() -> Iterator[RecognizerServer]:
    with start_recognizer(RecognizerConfig(backend="stub", tps=4)) as server:
        yield server


def test_calls_over_the_quota_raise_throughput_exceeded(limited_server: RecognizerServer) -> None:
    client = rekognition_client(limited_server.url, retries={"mode": "standard", "total_max_attempts": 1})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        for _ in range(20):
            client.detect_labels(Image={"Bytes": DATA})


def test_adaptive_retries_finish_every_call(limited_server: RecognizerServer) -> None:
    client = rekognition_client(limited_server.url, retries={"mode": "adaptive", "max_attempts": 10})
    responses = [client.detect_labels(Image={"Bytes": DATA}) for _ in range(12)]
    assert all(response["ResponseMetadata"]["HTTPStatusCode"] == 200 for response in responses)
    # Proof that the quota was really hit along the way: botocore retried at least once.
    assert sum(response["ResponseMetadata"]["RetryAttempts"] for response in responses) > 0
