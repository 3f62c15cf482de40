"""What a Lambda execution environment keeps between invocations: one event loop, the AWS clients opened in
it, and the normalizer's child processes.

Lambda runs one invocation at a time per environment and freezes the process in between, so one loop
(`asyncio.Runner`) can serve every invocation and its clients — their SSL contexts and connection pools —
stay valid: a warm invocation opens nothing new. Clients never cross loops (they are opened inside this
loop and only used by coroutines it runs); an invocation that fails as a whole drops them so the next one
opens fresh ones. In Lambda's init phase `prepare()` opens the clients and starts the normalizer children
before the first event arrives.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import aiohttp

from imagejobs.model import Feature
from imagejobs.observability import logger
from worker.adapters.clients import Clients, open_clients
from worker.adapters.priming import prime
from worker.analysis import response_shape
from worker.pacing import Pacer, observe_throttling, pacers_for
from worker.settings import get_settings
from worker.wiring import Invocation, build_invocation, shared_normalizer

T = TypeVar("T")
ClientsOpener = Callable[[], AbstractAsyncContextManager[Clients]]


def in_lambda_init() -> bool:
    """True while a Lambda runtime (or its emulator) imports the handler: its init phase."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not os.environ.get("AWS_SAM_LOCAL")


class ExecutionEnvironment:
    def __init__(self, opener: ClientsOpener | None = None) -> None:
        self._opener = opener or (lambda: open_clients(paced=bool(self._pacing())))
        self._runner: asyncio.Runner | None = None
        self._stack: AsyncExitStack | None = None
        self._clients: Clients | None = None
        self._pacers: dict[Feature, Pacer] | None = None
        self.clients_opened = 0

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coroutine)

    def _pacing(self) -> dict[Feature, Pacer]:
        """The pace of each Rekognition API, kept for the environment's life: the quota's share is spent
        across invocations, so a new one must not start afresh."""
        if self._pacers is None:
            settings = get_settings()
            self._pacers = pacers_for(settings.rekognition_tps_quota, settings.worker_instances)
        return self._pacers

    async def clients(self) -> Clients:
        if self._clients is None:
            stack = AsyncExitStack()
            self._clients = await stack.enter_async_context(self._opener())
            self._stack = stack
            self.clients_opened += 1
            if self._pacing():
                observe_throttling(self._clients.rekognition, self._pacing())
        return self._clients

    async def discard_clients(self) -> None:
        stack, self._stack, self._clients = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    @asynccontextmanager
    async def invocation(self) -> AsyncIterator[Invocation]:
        clients = await self.clients()
        try:
            yield build_invocation(clients, get_settings(), self._pacing())
        except BaseException:
            await self.discard_clients()  # a failed client is replaced, not reused
            raise

    def prepare(self) -> None:
        """Open the clients and start the normalizer children now (Lambda's init phase), not on the first event,
        and pay what botocore defers to a client's first request (connections, signing, operation models) and
        to each operation's first use (worker/adapters/priming.py)."""
        self.run(self._warm_up())
        shared_normalizer(get_settings()).start(wait=True)

    async def _warm_up(self) -> None:
        settings = get_settings()
        clients = await self.clients()
        for feature in Feature:  # the shapes the calls and the cached-answer checks use
            clients.rekognition.meta.service_model.operation_model(feature.operation)
            response_shape(feature.operation)
        await _open_rekognition_connection(clients.rekognition)
        # Read-only calls the worker's role may make anyway; a failure here only means a colder first event.
        answers = await asyncio.gather(
            clients.dynamodb.get_item(TableName=settings.table_name, Key={"pk": {"S": "WARM-UP"}, "sk": {"S": "-"}}),
            clients.s3.head_bucket(Bucket=settings.bucket_name),
            clients.sqs.get_queue_attributes(QueueUrl=settings.queue_url, AttributeNames=["QueueArn"]),
            return_exceptions=True,
        )
        for answer in answers:
            if isinstance(answer, Exception):
                logger.warning("warm-up call failed", error=str(answer))
        await prime(clients, settings.table_name, settings.bucket_name)  # logs what it could not prime

    def close(self) -> None:
        if self._runner is not None:
            self.run(self.discard_clients())
            self._runner.close()
            self._runner = None


async def _open_rekognition_connection(client: Any) -> None:
    """Rekognition has no free read-only call to warm up with. Create the HTTP session (SSL context,
    connection pool) its first request would, and put one connection in the pool with an unsigned POST
    naming no operation (answered with an error on a kept-alive connection; unbilled, no permission
    involved), so the first event
    neither builds the session (~70 ms of CPU) nor waits for a TLS handshake. aiobotocore keeps the
    session private: without it, this is skipped."""
    endpoint = getattr(client, "_endpoint", None)
    http = getattr(endpoint, "http_session", None)
    if endpoint is None or http is None or not hasattr(http, "_get_session"):
        return
    proxy = http._proxy_config.proxy_url_for(endpoint.host) if hasattr(http, "_proxy_config") else None
    session = await http._get_session(proxy)
    with contextlib.suppress(Exception):  # best effort: the first event then opens the connection itself
        async with session.post(
            endpoint.host,
            data=b"{}",
            headers={"Content-Type": "application/x-amz-json-1.1"},
            proxy=proxy,
            timeout=aiohttp.ClientTimeout(total=2),
        ) as answer:
            await answer.read()


_environments = threading.local()
_all: list[ExecutionEnvironment] = []
_all_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    """At process exit, close the environments' clients (aiohttp complains about sessions left open)."""
    with _all_lock:
        environments, _all[:] = list(_all), []
    for environment in environments:
        with contextlib.suppress(Exception):  # best effort: the process is going away
            environment.close()


def current_environment() -> ExecutionEnvironment:
    """The execution environment of this thread. Lambda has one thread per environment; the embedded local
    stack may invoke a function from several threads at once, each then being an environment of its own
    (a loop cannot run in two threads at a time)."""
    environment: ExecutionEnvironment | None = getattr(_environments, "current", None)
    if environment is None:
        environment = _environments.current = ExecutionEnvironment()
        with _all_lock:
            _all.append(environment)
    return environment
