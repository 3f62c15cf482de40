"""The SDK's retry and timeout budgets fit inside the worker function's timeout, with the margin the
handler keeps for releasing records at the deadline."""

from __future__ import annotations

import pytest
from aiobotocore.config import AioConfig

from imagejobs.settings import WorkerSettings
from local_stack.resources import WORKER_TIMEOUT_SECONDS
from worker.adapters.clients import AWS_CONFIG, REKOGNITION_CONFIG

# botocore's standard and adaptive modes back off base * 2**(attempt - 1) seconds with base <= 1, capped at 20.
MAX_BACKOFF = 20


def worst_case_seconds(config: AioConfig) -> float:
    # botocore rewrites `max_attempts` as `total_max_attempts` (+1) in the config once a client is made from it.
    retries = config.retries
    attempts = int(retries["max_attempts"] if "max_attempts" in retries else retries["total_max_attempts"] - 1)
    per_attempt = float(config.connect_timeout) + float(config.read_timeout)
    backoff = sum(min(MAX_BACKOFF, 2 ** (attempt - 1)) for attempt in range(1, attempts))
    return attempts * per_attempt + backoff


@pytest.mark.parametrize("config", [REKOGNITION_CONFIG, AWS_CONFIG], ids=["rekognition", "s3-dynamodb-sqs"])
def test_a_call_gives_up_before_the_handler_must_release_its_records(config: AioConfig) -> None:
    settings = WorkerSettings(table_name="jobs", bucket_name="images", queue_url="https://sqs/q")

    assert worst_case_seconds(config) <= WORKER_TIMEOUT_SECONDS - settings.deadline_margin_seconds
