"""Start and stop the whole stack: the processes of `local_stack.services`, under one supervisor.

Used by `python -m local_stack` (`make up`), the test fixture and the benchmarks, so all three run
exactly the same parts. The AWS emulator, the recognizer, the API (behind its gateway) and each function's
poller run in processes of their own, so none waits for another's interpreter lock, and each function's
log lines are its own. The Lambdas read their settings from the environment, as in AWS: the stack gives
each process the local endpoints and resource names, and exports them into its own process too (tests call
the handlers in-process against the same resources).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local_stack import names, ports
from local_stack.poller import InvocationError
from local_stack.provision import Provisioned
from local_stack.provision import run as run_provision
from local_stack.rate_limit import DEFAULT_LIMIT
from local_stack.recognizer import RecognizerConfig
from local_stack.resources import STACK
from local_stack.services import SERVICES, Context, LayoutOptions, Service, by_name
from local_stack.supervisor import Child, Supervisor, relay_to


@dataclass(frozen=True)
class StackOptions:
    host: str = "127.0.0.1"
    api_port: int = 8000
    aws_port: int = 4566
    recognizer_port: int = 4567
    socket_port: int = 8001
    # Seconds of silence after which the local WebSocket API closes a connection (API Gateway: 600).
    socket_idle_timeout: float | None = None
    recognizer: RecognizerConfig = field(default_factory=RecognizerConfig.from_env)
    # Overrides for tests that need redelivery in seconds rather than the template's minutes.
    visibility_timeout: int | None = None
    worker_environment: dict[str, str] = field(default_factory=dict)
    maximum_concurrency: int = STACK.event_source.maximum_concurrency
    # Worker processes (Lambda execution environments); None: two per core, at most maximum_concurrency.
    worker_processes: int | None = None
    web_origins: tuple[str, ...] = ()
    # Requests per minute per caller (Authorization header), as the deployed API's WAF rule.
    rate_limit: int = DEFAULT_LIMIT
    # Where each process's log goes (one file per process); None: a new temporary directory.
    log_dir: Path | None = None
    # Print one human line per notable event (make up's terminal); tests read the log files instead.
    echo: bool = False
    # Export endpoints and resource names into this process's environment (tests call the handlers
    # in-process). Off for a second stack that must not redirect the first one's in-process clients.
    export_environment: bool = True


@dataclass
class EmbeddedStack:
    options: StackOptions
    resources: Provisioned | None = None
    invocation_errors: list[Exception] = field(default_factory=list)
    log_dir: Path | None = None
    _supervisor: Supervisor | None = None
    _urls: dict[str, str] = field(default_factory=dict)
    _recognizer_backend: str = ""
    _socket_management: str = ""

    @property
    def base_url(self) -> str:
        return self._urls["api"]

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def web_url(self) -> str:
        return f"{self.base_url}/"

    @property
    def aws_url(self) -> str:
        return self._urls["aws"]

    @property
    def recognizer_url(self) -> str:
        return self._urls["recognizer"]

    @property
    def socket_url(self) -> str:
        return self._urls["socket"]

    @property
    def socket_management_url(self) -> str:
        return self._socket_management

    @property
    def recognizer_backend(self) -> str:
        return self._recognizer_backend

    def client(self, service: str) -> Any:
        """A boto3 client for the local emulator, for tests and tools."""
        return boto3.client(service, endpoint_url=self.aws_url, region_name=names.REGION)

    def start(self) -> EmbeddedStack:
        options = self.options
        chosen = {
            "api": options.api_port,
            "aws": options.aws_port,
            "recognizer": options.recognizer_port,
            "socket": options.socket_port,
        }
        ports.ensure_free(options.host, chosen)
        self.log_dir = options.log_dir or Path(tempfile.mkdtemp(prefix="imgrec-logs-"))
        self._supervisor = Supervisor(
            log_dir=self.log_dir,
            environment=self._environment(),
            echo=relay_to(sys.stdout) if options.echo else None,
            on_record=self._on_record,
        )
        try:
            self._start_services(chosen)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_services(self, chosen: dict[str, int]) -> None:
        assert self._supervisor is not None
        started: dict[str, Child] = {}
        pending = list(SERVICES)
        while pending:
            # Everything whose needs are met starts at once; then the stack waits for those to be up.
            wave = [s for s in pending if all(need in started or need in self._urls for need in s.needs)]
            if not wave:
                raise RuntimeError(f"services whose needs are never met: {[s.name for s in pending]}")
            context = self._context(chosen)
            children = [
                self._start(service, context)
                for service in wave
                if not service.one_shot
                for _ in range(service.instances(context.options))
            ]
            for service in wave:
                if service.one_shot:
                    self._run_one_shot(service, context)
            self._supervisor.wait_until_up(children)
            for child in reversed(children):  # the first instance of each service gives its address
                started[child.service.name] = child
                self._urls[child.service.name] = child.url.rstrip("/")
                if child.details.get("backend"):
                    self._recognizer_backend = child.details["backend"]
                if child.details.get("management"):
                    self._socket_management = child.details["management"]
            pending = [s for s in pending if s not in wave]
        started["api"].send({"event": "ready", "health": {"recognizer": self._recognizer_backend}})
        self._wait_for_health()

    def _wait_for_health(self, timeout: float = 30) -> None:
        """Up means what a client sees: `/api/health` answers 200 (the gateway has taken the message)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        return
            except urllib.error.HTTPError as error:
                if error.code != 503 or time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def _start(self, service: Service, context: Context) -> Child:
        assert self._supervisor is not None
        return self._supervisor.start(service, service.arguments(context), self._environment())

    def _run_one_shot(self, service: Service, context: Context) -> None:
        # Provisioning is a few calls: run in this process (boto3 is loaded) with compose's command line.
        assert service.module == "local_stack.provision"
        self.resources = run_provision(service.arguments(context))
        self._urls[service.name] = "done"
        expected = self._environment()["IMGREC_QUEUE_URL"]
        if self.resources.queue_url != expected:
            raise RuntimeError(f"the emulator named the queue {self.resources.queue_url}, not {expected}")

    def _context(self, chosen: dict[str, int]) -> Context:
        api = self._urls.get("api")
        origins = self.options.web_origins or ((api, api.replace("127.0.0.1", "localhost")) if api else ())
        return Context(
            host=self.options.host,
            ports=chosen,
            urls=dict(self._urls),
            web_origins=tuple(origins),
            options=LayoutOptions(
                recognizer=self.options.recognizer,
                visibility_timeout=self.options.visibility_timeout,
                maximum_concurrency=self.options.maximum_concurrency,
                worker_processes=self.options.worker_processes,
                rate_limit=self.options.rate_limit,
                socket_idle_timeout=self.options.socket_idle_timeout,
            ),
        )

    def _environment(self) -> dict[str, str]:
        """What every process of the stack (and this one) reads: endpoints, credentials, resource names."""
        env = {**os.environ, **names.LOCAL_CREDENTIALS}
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")
        if "aws" in self._urls:
            env["AWS_ENDPOINT_URL"] = self.aws_url
            env["IMGREC_TABLE_NAME"] = names.TABLE_NAME
            env["IMGREC_BUCKET_NAME"] = names.BUCKET_NAME
            env["IMGREC_QUEUE_URL"] = f"{self.aws_url}/{names.ACCOUNT_ID}/{names.QUEUE_NAME}"
            env["IMGREC_DELETIONS_QUEUE_URL"] = f"{self.aws_url}/{names.ACCOUNT_ID}/{names.DELETIONS_QUEUE_NAME}"
            env["IMGREC_WEBHOOK_QUEUE_URL"] = f"{self.aws_url}/{names.ACCOUNT_ID}/{names.WEBHOOK_QUEUE_NAME}"
            env["IMGREC_EVENTS_TOPIC_ARN"] = names.EVENTS_TOPIC_ARN
            # Receivers on this machine (http://127.0.0.1:...) are what a local stack calls.
            env["IMGREC_WEBHOOKS_ALLOW_LOOPBACK"] = "true"
        if "recognizer" in self._urls:
            env["AWS_ENDPOINT_URL_REKOGNITION"] = self.recognizer_url
        # As the template does: the worker knows how many instances share the quota, and the local
        # recognizer's quota (--tps) stands for the account's, unless the caller named one.
        instances = by_name("worker").instances(self._context({}).options)
        env["IMGREC_WORKER_INSTANCES"] = str(instances)
        if self.options.recognizer.tps is not None:
            env.setdefault("IMGREC_REKOGNITION_TPS_QUOTA", str(self.options.recognizer.tps))
        if self._socket_management:
            # Where the notifier posts to live connections (the local WebSocket API's @connections).
            env["IMGREC_SOCKET_MANAGEMENT_URL"] = self._socket_management
        env.update(self.options.worker_environment)
        if self.options.export_environment:
            # This process too: tests drive the handlers in-process against the same resources.
            os.environ.update({k: v for k, v in env.items() if os.environ.get(k) != v})
            _reset_cached_settings()
        return env

    def _on_record(self, process: str, record: dict[str, Any]) -> None:
        if record.get("message") == "invocation failed":
            self.invocation_errors.append(InvocationError(f"{process}: {record.get('error')}"))

    def stop_service(self, name: str) -> None:
        """Stops one service's processes (benchmarks pause the worker this way)."""
        if self._supervisor is not None:
            self._supervisor.stop_service(name)

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()
            self._supervisor = None


def _reset_cached_settings() -> None:
    """Settings are read once per process and cached, as in Lambda: where this process has loaded the
    handlers (tests do), they must read the stack's settings afresh. `make up` never loads them here."""
    for module_name, getter in (
        ("api.settings", "get_settings"),
        ("worker.settings", "get_settings"),
        ("api.adapters.clients", "get_services"),
        ("worker.handle_notify", "reset_clients"),
        ("worker.handle_webhooks", "reset_clients"),
        ("api.handle_socket", "reset_clients"),
    ):
        module = sys.modules.get(module_name)
        if module is not None:
            reset = getattr(module, getter)
            reset() if getter == "reset_clients" else reset.cache_clear()
