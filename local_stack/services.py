"""The processes of the local stack, as data: what each runs, what it waits for, which function it hosts.

`make up` (local_stack.embedded) starts each entry as a process of its own on 127.0.0.1; compose.yaml runs
the same commands in containers (tests/infra/test_compose.py renders this list with compose's addresses and
compares). To add a local service (a stream reader, a webhook sender, ...): give it an entry point module with
a `main()` that calls `local_stack.process.announce` once it serves and `wait_for_shutdown` until told to
stop, and add it to SERVICES with what it `needs`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from local_stack import names
from local_stack.rate_limit import DEFAULT_LIMIT
from local_stack.recognizer import RecognizerConfig
from local_stack.resources import STACK

# The announcement `local_stack.process.announce` prints, with the address other services use.
LISTENING = r"listening on (?P<url>http://[^\s\"]+)"


@dataclass(frozen=True)
class LayoutOptions:
    """What a user or a test may choose about the stack's processes."""

    recognizer: RecognizerConfig = field(default_factory=lambda: RecognizerConfig(backend="auto"))
    visibility_timeout: int | None = None
    maximum_concurrency: int = STACK.event_source.maximum_concurrency
    rate_limit: int = DEFAULT_LIMIT
    # Worker execution environments (processes); None: as many as cores (at least 2), at most the above.
    worker_processes: int | None = None
    # The local WebSocket API's idle timeout (None: API Gateway's 10 minutes).
    socket_idle_timeout: float | None = None


@dataclass(frozen=True)
class Context:
    """Where services listen and how they reach each other: 127.0.0.1 ports for the embedded stack, service
    names for compose. `invoke_urls` (compose) names each function's invoke URL under the Runtime Interface
    Emulator; without it the pollers run their function in their own process."""

    host: str
    ports: Mapping[str, int]
    urls: Mapping[str, str]
    web_origins: tuple[str, ...]
    options: LayoutOptions = field(default_factory=LayoutOptions)
    invoke_urls: Mapping[str, str] | None = None

    def port(self, service: str) -> int:
        return self.ports.get(service, 0)


@dataclass(frozen=True)
class Service:
    name: str  # the process: its log file and its label on the terminal
    module: str  # `python -m <module> <arguments>`
    arguments: Callable[[Context], list[str]]
    needs: tuple[str, ...] = ()  # services that must be up (or done, for one-shot ones) before it starts
    function: str | None = None  # the Lambda function it hosts (POWERTOOLS_SERVICE_NAME, log labels)
    one_shot: bool = False  # runs to completion instead of serving
    # How many processes run this command (concurrent Lambda execution environments); they share a log.
    instances: Callable[[LayoutOptions], int] = lambda options: 1
    compose: str = ""  # the compose service that runs the same command ("" = the same name)
    ready: re.Pattern[str] = re.compile(LISTENING)

    def command(self, context: Context) -> list[str]:
        return ["python", "-m", self.module, *self.arguments(context)]

    @property
    def compose_service(self) -> str:
        return self.compose or self.name


def _listen(service: str) -> Callable[[Context], list[str]]:
    return lambda c: ["--host", c.host, "--port", str(c.port(service))]


def _recognizer(c: Context) -> list[str]:
    config = c.options.recognizer
    knobs = ["--latency-ms", str(config.latency_ms)] if config.latency_ms else []
    knobs += ["--tps", str(config.tps)] if config.tps is not None else []
    return [*_listen("recognizer")(c), "--backend", config.backend, *knobs, "--s3-endpoint-url", c.urls["aws"]]


def _socket_port(c: Context) -> int:
    url = c.urls.get("socket")
    return (urlsplit(url).port or 0) if url else c.port("socket")


def _gateway(c: Context) -> list[str]:
    # The web app's config.json names the WebSocket API on the port it listens on (the host the browser used).
    return [*_listen("api")(c), "--rate-limit", str(c.options.rate_limit), "--socket-port", str(_socket_port(c))]


def _socket(c: Context) -> list[str]:
    idle = c.options.socket_idle_timeout
    return [
        *_listen("socket")(c),
        "--management-port",
        str(c.port("socket-management")),
        *(["--idle-timeout", str(idle)] if idle is not None else []),
    ]


def _provision(c: Context) -> list[str]:
    origins = [part for origin in c.web_origins for part in ("--web-origin", origin)]
    timeout = c.options.visibility_timeout
    return ["--endpoint-url", c.urls["aws"], *origins, *(["--visibility-timeout", str(timeout)] if timeout else [])]


def _poller(queue: str, function: str, handler: str, timeout: int, *extra: str) -> Callable[[Context], list[str]]:
    def arguments(c: Context) -> list[str]:
        target = ["--invoke-url", c.invoke_urls[function]] if c.invoke_urls is not None else ["--handler", handler]
        # One invocation at a time per process, as in one Lambda execution environment (and one Runtime
        # Interface Emulator container): the function may keep its event loop and clients between calls.
        return [
            "--queue-name",
            queue,
            *target,
            "--function-name",
            function,
            "--timeout",
            str(timeout),
            "--maximum-concurrency",
            "1",
            *extra,
        ]

    return arguments


def worker_instances(options: LayoutOptions) -> int:
    """Execution environments of the worker: the event source's maximum concurrency (the template's 10),
    but by default at most two per core. An invocation mostly waits (on the emulator, on Rekognition), so
    a few per core keep the processors busy; beyond that each one only adds ~80 MB and contention."""
    if options.worker_processes is not None:
        return max(1, options.worker_processes)
    return max(1, min(options.maximum_concurrency, 2 * (os.cpu_count() or 1)))


WORKER_FUNCTION = "imgrec-worker"
DEAD_LETTER_FUNCTION = "imgrec-dead-letters"
API_FUNCTION = "imgrec-api"
INDEXER_FUNCTION = "imgrec-indexer"
DELETIONS_FUNCTION = "imgrec-deletions"
NOTIFIER_FUNCTION = "imgrec-notifier"
SOCKET_FUNCTION = "imgrec-socket"
WEBHOOKS_FUNCTION = "imgrec-webhooks"


def _stream_poller(c: Context) -> list[str]:
    """The table's stream to the indexer (the template's DynamoDB event source mapping)."""
    handler = "worker.handle_index.lambda_handler"
    target = ["--invoke-url", c.invoke_urls[INDEXER_FUNCTION]] if c.invoke_urls is not None else ["--handler", handler]
    return ["--table-name", names.TABLE_NAME, *target, "--function-name", INDEXER_FUNCTION, "--timeout", "60"]


def _notifier_stream(c: Context) -> list[str]:
    """The same stream to the notifier: a second event source mapping with its own filter."""
    handler = "worker.handle_notify.lambda_handler"
    target = ["--invoke-url", c.invoke_urls[NOTIFIER_FUNCTION]] if c.invoke_urls is not None else ["--handler", handler]
    return [
        "--table-name",
        names.TABLE_NAME,
        *target,
        "--function-name",
        NOTIFIER_FUNCTION,
        "--timeout",
        "60",
        "--filter",
        "notifier",
    ]


_webhook_poller = _poller(
    names.WEBHOOK_QUEUE_NAME,
    WEBHOOKS_FUNCTION,
    "worker.handle_webhooks.lambda_handler",
    STACK.notifications.sender_timeout_seconds,
    # No batching window: a delivery goes out as soon as its message is there.
    "--batching-window",
    "0",
)


def _deletions_poller(c: Context) -> list[str]:
    arguments = _poller(names.DELETIONS_QUEUE_NAME, DELETIONS_FUNCTION, "api.handle_deletions.lambda_handler", 300)(c)
    return [*arguments, "--batch-size", str(STACK.library.deletions_batch_size)]


SERVICES: tuple[Service, ...] = (
    Service("aws", "local_stack.aws", _listen("aws")),
    Service(
        "recognizer",
        "local_stack.recognizer",
        _recognizer,
        needs=("aws",),
        ready=re.compile(LISTENING + r" backend=(?P<backend>[^\s\"]+)"),
    ),
    # The WebSocket API (issue 12) before the REST gateway, whose config.json names its port.
    Service(
        "socket",
        "local_stack.socket_gateway",
        _socket,
        needs=("aws",),
        function=SOCKET_FUNCTION,
        ready=re.compile(r"listening on (?P<url>ws://[^\s\"]+) management=(?P<management>http://[^\s\"]+)"),
    ),
    Service("api", "local_stack.gateway", _gateway, needs=("aws", "socket"), function=API_FUNCTION, compose="gateway"),
    Service("provision", "local_stack.provision", _provision, needs=("aws", "api"), one_shot=True),
    Service(
        "worker",
        "local_stack.poller",
        _poller(names.QUEUE_NAME, WORKER_FUNCTION, "worker.handle_jobs.lambda_handler", timeout=120),
        needs=("provision", "recognizer"),
        function=WORKER_FUNCTION,
        instances=worker_instances,
        compose="poller",
    ),
    Service(
        "dead-letters",
        "local_stack.poller",
        _poller(names.DLQ_NAME, DEAD_LETTER_FUNCTION, "worker.handle_dead_letters.lambda_handler", timeout=30),
        needs=("provision",),
        function=DEAD_LETTER_FUNCTION,
        compose="dead-letter-poller",
    ),
    # The library (issue 13): the indexer reads the table's stream, the deletion handler its queue.
    Service(
        "indexer",
        "local_stack.stream_poller",
        _stream_poller,
        needs=("provision",),
        function=INDEXER_FUNCTION,
        compose="stream-poller",
        # It listens on the table's stream, not on a port: the stream's ARN stands for its address.
        ready=re.compile(r"listening on (?P<url>arn:aws:dynamodb:[^\s\"]+)"),
    ),
    Service(
        "deletions",
        "local_stack.poller",
        _deletions_poller,
        needs=("provision",),
        function=DELETIONS_FUNCTION,
        compose="deletion-poller",
    ),
    # Notifications (issue 12): the notifier on the same stream, the webhook sender on its queue.
    Service(
        "notifier",
        "local_stack.stream_poller",
        _notifier_stream,
        needs=("provision",),
        function=NOTIFIER_FUNCTION,
        compose="notifier-stream-poller",
        ready=re.compile(r"listening on (?P<url>arn:aws:dynamodb:[^\s\"]+)"),
    ),
    Service(
        "webhooks",
        "local_stack.poller",
        _webhook_poller,
        needs=("provision",),
        function=WEBHOOKS_FUNCTION,
        compose="webhook-poller",
    ),
)


def by_name(name: str) -> Service:
    return next(service for service in SERVICES if service.name == name)


INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def compose_context() -> Context:
    """compose.yaml's addresses: services reach each other by name, functions run under the Runtime
    Interface Emulator (port 8080) in containers named after them (tests/infra/test_compose.py)."""
    return Context(
        host="0.0.0.0",  # noqa: S104 - inside a container; compose publishes on 127.0.0.1 only
        ports={"api": 8000, "aws": 4566, "recognizer": 4567, "socket": 8001, "socket-management": 8002},
        urls={"aws": "http://aws:4566", "recognizer": "http://recognizer:4567"},
        web_origins=("http://127.0.0.1:8000", "http://localhost:8000"),
        invoke_urls={
            WORKER_FUNCTION: f"http://worker:8080{INVOKE_PATH}",
            DEAD_LETTER_FUNCTION: f"http://dead-letters:8080{INVOKE_PATH}",
            INDEXER_FUNCTION: f"http://indexer:8080{INVOKE_PATH}",
            DELETIONS_FUNCTION: f"http://deletions:8080{INVOKE_PATH}",
            NOTIFIER_FUNCTION: f"http://notifier:8080{INVOKE_PATH}",
            WEBHOOKS_FUNCTION: f"http://webhooks:8080{INVOKE_PATH}",
        },
    )
