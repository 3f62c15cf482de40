"""The SDK's retry and timeout budgets fit inside the worker function's timeout, with the margin the
handler keeps for releasing records at the deadline, and inside API Gateway's for the API."""

from __future__ import annotations

import pytest
from botocore.config import Config

from api.adapters.clients import CONFIG as API_CONFIG
from imagejobs.settings import WorkerSettings
from local_stack.resources import WORKER_TIMEOUT_SECONDS
from worker.adapters.clients import AWS_CONFIG, REKOGNITION_CONFIG, REKOGNITION_PACED_CONFIG

# botocore's standard and adaptive modes back off base * 2**(attempt - 1) seconds with base <= 1, capped at 20.
MAX_BACKOFF = 20


def worst_case_seconds(config: Config) -> float:
    # `total_max_attempts` counts the first request too (botocore rewrites a bare `max_attempts`, which
    # counts retries only, into it when a client is made).
    attempts = int(config.retries["total_max_attempts"])
    per_attempt = float(config.connect_timeout) + float(config.read_timeout)
    backoff = sum(min(MAX_BACKOFF, 2 ** (attempt - 1)) for attempt in range(1, attempts))
    return attempts * per_attempt + backoff


# API Gateway's integration timeout, and what the API function keeps for answering.
API_GATEWAY_TIMEOUT_SECONDS = 29
API_MARGIN_SECONDS = 4


def test_an_api_call_gives_up_before_api_gateway_does() -> None:
    assert worst_case_seconds(API_CONFIG) <= API_GATEWAY_TIMEOUT_SECONDS - API_MARGIN_SECONDS


@pytest.mark.parametrize(
    "config",
    [REKOGNITION_CONFIG, REKOGNITION_PACED_CONFIG, AWS_CONFIG],
    ids=["rekognition", "rekognition-paced", "s3-dynamodb-sqs"],
)
def test_a_call_gives_up_before_the_handler_must_release_its_records(config: Config) -> None:
    settings = WorkerSettings(table_name="jobs", bucket_name="images", queue_url="https://sqs/q")

    assert worst_case_seconds(config) <= WORKER_TIMEOUT_SECONDS - settings.deadline_margin_seconds
