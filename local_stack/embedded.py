"""Start and stop the whole stack in one process: emulator, resources, recognizer, gateway, pollers.

Used by `python -m local_stack` (`make up`), the test fixture and the benchmarks, so all three run
exactly the same parts. The Lambdas read their settings from the environment, as in AWS, so the stack
exports the local endpoints and resource names into this process's environment before they start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3

from local_stack import names
from local_stack.aws import RunningAws, start_aws
from local_stack.gateway import Gateway, RunningGateway, start_gateway
from local_stack.poller import InProcessInvoker, Poller
from local_stack.provision import Provisioned, provision
from local_stack.recognizer import RecognizerConfig, RecognizerServer, start_recognizer
from local_stack.resources import STACK


@dataclass(frozen=True)
class StackOptions:
    host: str = "127.0.0.1"
    api_port: int = 8000
    aws_port: int = 4566
    recognizer_port: int = 4567
    recognizer: RecognizerConfig = field(default_factory=RecognizerConfig.from_env)
    # Overrides for tests that need redelivery in seconds rather than the template's minutes.
    visibility_timeout: int | None = None
    worker_environment: dict[str, str] = field(default_factory=dict)
    maximum_concurrency: int = STACK.event_source.maximum_concurrency
    web_origins: tuple[str, ...] = ()


@dataclass
class EmbeddedStack:
    options: StackOptions
    aws: RunningAws | None = None
    resources: Provisioned | None = None
    recognizer: RecognizerServer | None = None
    gateway: RunningGateway | None = None
    pollers: list[Poller] = field(default_factory=list)
    invocation_errors: list[Exception] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def web_url(self) -> str:
        return f"{self.base_url}/"

    @property
    def aws_url(self) -> str:
        assert self.aws is not None
        return self.aws.url

    def client(self, service: str) -> Any:
        """A boto3 client for the local emulator, for tests and tools."""
        return boto3.client(service, endpoint_url=self.aws_url, region_name=names.REGION)

    def start(self) -> EmbeddedStack:
        options = self.options
        try:
            self.aws = start_aws(options.host, options.aws_port)
            self.recognizer = start_recognizer(
                RecognizerConfig(
                    backend=options.recognizer.backend,
                    latency_ms=options.recognizer.latency_ms,
                    tps=options.recognizer.tps,
                    s3_endpoint_url=self.aws.url,
                ),
                host=options.host,
                port=options.recognizer_port,
            )
            self._export_environment()
            self._start_gateway()
            self._start_pollers()
        except BaseException:
            self.stop()
            raise
        return self

    def _export_environment(self) -> None:
        assert self.aws is not None and self.recognizer is not None
        os.environ.update(names.LOCAL_CREDENTIALS)
        os.environ["AWS_ENDPOINT_URL"] = self.aws.url
        os.environ["AWS_ENDPOINT_URL_REKOGNITION"] = self.recognizer.url
        os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "imgrec-local")
        os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")
        os.environ.update(self.options.worker_environment)
        _reset_cached_settings()

    def _start_gateway(self) -> None:
        from api.handle_api import lambda_handler as api_handler

        options = self.options
        assert self.aws is not None and self.recognizer is not None
        # The bucket's CORS must admit the web app's origin before the gateway's port is known when it
        # is 0 (tests), so bind first, then provision.
        gateway = Gateway(handler=api_handler, extra_health={"recognizer": self.recognizer.backend_name})
        self.gateway = start_gateway(gateway, options.host, options.api_port)
        origins = list(options.web_origins) or [
            self.gateway.url,
            self.gateway.url.replace("127.0.0.1", "localhost"),
        ]
        self.resources = provision(self.aws.url, origins, visibility_timeout=options.visibility_timeout)
        os.environ.update(
            {
                "IMGREC_TABLE_NAME": self.resources.table_name,
                "IMGREC_BUCKET_NAME": self.resources.bucket_name,
                "IMGREC_QUEUE_URL": self.resources.queue_url,
            }
        )
        _reset_cached_settings()

    def reset_settings(self) -> None:
        _reset_cached_settings()

    def _start_pollers(self) -> None:
        from local_stack import library_services
        from worker.handle_dead_letters import lambda_handler as dead_letter_handler
        from worker.handle_jobs import lambda_handler as worker_handler

        assert self.resources is not None
        sqs = self.client("sqs")
        self.pollers = [
            Poller(
                sqs=sqs,
                queue_url=self.resources.queue_url,
                invoker=InProcessInvoker(worker_handler, "imgrec-worker"),
                maximum_concurrency=self.options.maximum_concurrency,
                on_error=self.invocation_errors.append,
            ).start(),
            Poller(
                sqs=sqs,
                queue_url=self.resources.dlq_url,
                invoker=InProcessInvoker(dead_letter_handler, "imgrec-dead-letters"),
                maximum_concurrency=1,
                on_error=self.invocation_errors.append,
            ).start(),
            *library_services.start(self),
        ]

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.pollers = []
        for part in (self.gateway, self.recognizer, self.aws):
            if part is not None:
                part.stop()
        self.gateway = self.recognizer = self.aws = None  # type: ignore[assignment]


def _reset_cached_settings() -> None:
    """Settings are read once per process and cached, as in Lambda; the stack sets them up first."""
    from api.adapters.clients import get_services
    from api.settings import get_settings as api_settings
    from worker.settings import get_settings as worker_settings

    for cached in (api_settings, worker_settings, get_services):
        cached.cache_clear()
