"""Priming (worker/adapters/priming.py): the requests a job makes run once through the clients in Lambda's
init phase, answered in-process: nothing may reach the network, and nothing may stay answered afterwards."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiobotocore.config import AioConfig

from worker.adapters.clients import Clients, session
from worker.adapters.priming import PRIMED_REQUESTS, prime

# Nothing listens on the discard port of loopback: a request that escapes fails to connect.
NOWHERE = "http://127.0.0.1:9"
CONFIG = AioConfig(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=1, read_timeout=1)


async def _primed_then(attempt: Any) -> tuple[list[Any], Any]:
    opened: list[Any] = []
    original = asyncio.base_events.BaseEventLoop.create_connection

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(args or kwargs.get("host"))
        return await original(self, *args, **kwargs)

    make = session().client
    async with (
        make("s3", endpoint_url=NOWHERE, config=CONFIG, region_name="us-east-1") as s3,
        make("dynamodb", endpoint_url=NOWHERE, config=CONFIG, region_name="us-east-1") as dynamodb,
        make("rekognition", endpoint_url=NOWHERE, config=CONFIG, region_name="us-east-1") as rekognition,
        make("sqs", endpoint_url=NOWHERE, config=CONFIG, region_name="us-east-1") as sqs,
    ):
        clients = Clients(s3=s3, dynamodb=dynamodb, rekognition=rekognition, sqs=sqs)
        asyncio.base_events.BaseEventLoop.create_connection = counting  # type: ignore[method-assign]
        try:
            answered = await prime(clients, "imgrec-jobs", "imgrec-images")
            assert answered == PRIMED_REQUESTS  # each went through its client to a parsed answer
            primed = list(opened)
            try:
                outcome: Any = await attempt(clients)
            except Exception as error:  # what the real request met is the point
                outcome = error
        finally:
            asyncio.base_events.BaseEventLoop.create_connection = original  # type: ignore[method-assign]
    return primed, outcome


def test_priming_sends_nothing_and_leaves_every_request_to_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from botocore.exceptions import EndpointConnectionError

    for attempt in (
        lambda c: c.dynamodb.get_item(TableName="imgrec-jobs", Key={"pk": {"S": "j"}, "sk": {"S": "-"}}),
        lambda c: c.s3.put_object(Bucket="imgrec-images", Key="k", Body=b"x"),
        lambda c: c.rekognition.detect_labels(Image={"S3Object": {"Bucket": "imgrec-images", "Name": "k"}}),
    ):
        primed, outcome = asyncio.run(_primed_then(attempt))
        assert primed == []  # every primed request was answered in-process
        assert isinstance(outcome, EndpointConnectionError), outcome  # afterwards, requests go out again
