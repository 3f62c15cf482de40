"""A Lambda execution environment keeps its loop and clients: a warm invocation opens no new client, and
an invocation that fails as a whole gets fresh clients next time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from imagejobs.model import Feature
from tests.integration.test_worker_delivery import sqs_event, uploaded_job
from tests.support.api import ApiClient
from worker.adapters.clients import Clients, open_clients
from worker.handle_jobs import handle_batch
from worker.pacing import PacedRecognizer
from worker.runtime import ExecutionEnvironment
from worker.settings import get_settings


@asynccontextmanager
async def counted_clients(opened: list[Clients]) -> AsyncIterator[Clients]:
    async with open_clients() as clients:
        opened.append(clients)
        yield clients


def test_warm_invocations_reuse_the_clients_of_the_first(api: ApiClient) -> None:
    opened: list[Clients] = []
    environment = ExecutionEnvironment(lambda: counted_clients(opened))
    try:
        for _ in range(3):
            batch_id, job_id = uploaded_job(api, features=["LABELS"])
            response = environment.run(handle_batch(sqs_event(batch_id, job_id), environment.invocation))
            assert response == {"batchItemFailures": []}
            assert api.job(job_id)["status"] == "SUCCEEDED"
    finally:
        environment.close()

    assert len(opened) == 1 and environment.clients_opened == 1


def test_an_invocation_that_fails_as_a_whole_gets_fresh_clients_next_time(api: ApiClient) -> None:
    opened: list[Clients] = []
    environment = ExecutionEnvironment(lambda: counted_clients(opened))

    async def failing(event: dict[str, Any]) -> None:
        async with environment.invocation():
            raise ConnectionResetError("the connection pool is broken")

    try:
        with pytest.raises(ConnectionResetError):
            environment.run(failing({}))
        batch_id, job_id = uploaded_job(api, features=["LABELS"])
        environment.run(handle_batch(sqs_event(batch_id, job_id), environment.invocation))
    finally:
        environment.close()

    assert len(opened) == 2 and api.job(job_id)["status"] == "SUCCEEDED"


def test_the_pace_of_rekognition_calls_outlives_an_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quota's share is spent across invocations: a new invocation must not start with a fresh pace."""
    monkeypatch.setenv("IMGREC_REKOGNITION_TPS_QUOTA", "20")
    monkeypatch.setenv("IMGREC_WORKER_INSTANCES", "4")
    get_settings.cache_clear()
    environment = ExecutionEnvironment()
    seen: list[Any] = []

    async def peek() -> None:
        async with environment.invocation() as invocation:
            assert isinstance(invocation.jobs.recognizer, PacedRecognizer)
            seen.append(invocation.jobs.recognizer.pacers)

    try:
        environment.run(peek())
        environment.run(peek())
    finally:
        environment.close()
        monkeypatch.undo()
        get_settings.cache_clear()

    assert seen[0] is seen[1] and seen[0][Feature.LABELS].interval == pytest.approx(0.2)


def test_after_the_init_phase_the_first_invocation_opens_no_connection(
    stack: Any, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare() (Lambda's init phase) leaves a connection to every service a job uses in the pools,
    Rekognition's included, although it has no free call to make (one each: calls made at once need more)."""
    opened: list[Any] = []
    original = asyncio.base_events.BaseEventLoop.create_connection

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        sock = kwargs.get("sock")
        opened.append(sock.getpeername() if sock is not None else kwargs.get("host"))
        return await original(self, *args, **kwargs)

    environment = ExecutionEnvironment()
    try:
        environment.prepare()
        batch_id, job_id = uploaded_job(api, features=["LABELS"])
        monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", counting)
        response = environment.run(handle_batch(sqs_event(batch_id, job_id), environment.invocation))
    finally:
        monkeypatch.undo()
        environment.close()

    assert response == {"batchItemFailures": []} and api.job(job_id)["status"] == "SUCCEEDED"
    assert opened == [], {"aws": stack.aws_url, "rekognition": stack.recognizer_url}
