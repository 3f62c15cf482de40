"""aioboto3 clients for the worker. One Session per process, made on first use (~12 ms that an import need
not pay); clients are opened inside the event loop that uses them (a client outliving its loop breaks),
which the execution environment keeps for every invocation (worker/runtime.py)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig


@functools.cache
def session() -> aioboto3.Session:
    return aioboto3.Session()


# Every call's worst case — attempts x (connect + read timeout) + the backoff between attempts — must fit
# in the function's timeout minus the deadline margin, so a slow dependency ends in the release-and-retry
# path (worker/handle_jobs.py), never in a function timeout (tests/unit/worker/test_client_budgets.py).
# Throttling is expected at volume: botocore's adaptive mode rate-limits the client and retries.
REKOGNITION_CONFIG = AioConfig(
    retries={"mode": "adaptive", "total_max_attempts": 4},
    connect_timeout=2,
    read_timeout=15,
    max_pool_connections=64,
)
# With the calls paced per API (worker/pacing.py), standard retries: adaptive mode's limiter is client-wide.
REKOGNITION_PACED_CONFIG = AioConfig(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=2,
    read_timeout=15,
    max_pool_connections=64,
)
AWS_CONFIG = AioConfig(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=2,
    read_timeout=10,
    max_pool_connections=64,
)


@dataclass(frozen=True)
class Clients:
    s3: Any
    dynamodb: Any
    rekognition: Any
    sqs: Any


@asynccontextmanager
async def open_clients(paced: bool = False) -> AsyncIterator[Clients]:
    """The clients the worker uses, opened together in the running event loop (~12 ms of CPU and an SSL
    context each): the execution environment opens them once and keeps them for every invocation."""
    rekognition_config = REKOGNITION_PACED_CONFIG if paced else REKOGNITION_CONFIG
    async with AsyncExitStack() as stack:
        yield Clients(
            s3=await stack.enter_async_context(session().client("s3", config=AWS_CONFIG)),
            dynamodb=await stack.enter_async_context(session().client("dynamodb", config=AWS_CONFIG)),
            rekognition=await stack.enter_async_context(session().client("rekognition", config=rekognition_config)),
            sqs=await stack.enter_async_context(session().client("sqs", config=AWS_CONFIG)),
        )
