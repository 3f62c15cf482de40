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

from imagejobs.model import Feature
from imagejobs.observability import logger
from worker.adapters.clients import Clients, open_clients
from worker.analysis import response_shape
from worker.settings import get_settings
from worker.wiring import Invocation, build_invocation, shared_normalizer

T = TypeVar("T")
ClientsOpener = Callable[[], AbstractAsyncContextManager[Clients]]


def in_lambda_init() -> bool:
    """True while a Lambda runtime (or its emulator) imports the handler: its init phase."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not os.environ.get("AWS_SAM_LOCAL")


class ExecutionEnvironment:
    def __init__(self, opener: ClientsOpener = open_clients) -> None:
        self._opener = opener
        self._runner: asyncio.Runner | None = None
        self._stack: AsyncExitStack | None = None
        self._clients: Clients | None = None
        self.clients_opened = 0

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coroutine)

    async def clients(self) -> Clients:
        if self._clients is None:
            stack = AsyncExitStack()
            self._clients = await stack.enter_async_context(self._opener())
            self._stack = stack
            self.clients_opened += 1
        return self._clients

    async def discard_clients(self) -> None:
        stack, self._stack, self._clients = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    @asynccontextmanager
    async def invocation(self) -> AsyncIterator[Invocation]:
        clients = await self.clients()
        try:
            yield build_invocation(clients, get_settings())
        except BaseException:
            await self.discard_clients()  # a failed client is replaced, not reused
            raise

    def prepare(self) -> None:
        """Open the clients and start the normalizer children now (Lambda's init phase), not on the first event,
        and pay what botocore defers to a client's first request (connections, signing, operation models)."""
        self.run(self._warm_up())
        shared_normalizer(get_settings()).start(wait=True)

    async def _warm_up(self) -> None:
        settings = get_settings()
        clients = await self.clients()
        for feature in Feature:  # the shapes the calls and the cached-answer checks use
            clients.rekognition.meta.service_model.operation_model(feature.operation)
            response_shape(feature.operation)
        # Rekognition has no free read-only call: create the HTTP session (SSL context, connection pool) its
        # first request would (aiobotocore keeps it private; without it the first event pays ~70 ms).
        session = getattr(getattr(clients.rekognition, "_endpoint", None), "http_session", None)
        if session is not None and hasattr(session, "_get_session"):
            await session._get_session(None)
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

    def close(self) -> None:
        if self._runner is not None:
            self.run(self.discard_clients())
            self._runner.close()
            self._runner = None


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
