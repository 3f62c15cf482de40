"""Shared fixtures. `stack` is the embedded local stack (the same processes `make up` starts), on ephemeral
127.0.0.1 ports, once per test session, with the deterministic `stub` recognizer unless
IMGREC_TEST_RECOGNIZER=models. Its processes' logs are under pytest's temporary directory (`stack.log_dir`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "imgrec-test")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from local_stack.embedded import EmbeddedStack, StackOptions
    from local_stack.recognizer import RecognizerConfig

    backend = os.environ.get("IMGREC_TEST_RECOGNIZER", "stub")
    running = EmbeddedStack(
        StackOptions(
            api_port=0,
            aws_port=0,
            recognizer_port=0,
            socket_port=0,
            recognizer=RecognizerConfig(backend=backend),  # type: ignore[arg-type]
            # Redelivery in seconds rather than the template's 12 minutes, for tests that lose a batch.
            visibility_timeout=20,
            # The per-caller rate rule has tests of its own; here it would turn a busy test's (or the
            # fuzzer's) requests into 429s that never reach the API.
            rate_limit=1_000_000,
            # Two worker processes (execution environments) whatever the machine: a quick session start.
            worker_processes=2,
            # One JSON log per process (api.log, worker.log, ...): where to look when a test fails.
            log_dir=tmp_path_factory.mktemp("stack-logs"),
            # Webhook retries after 1 s and 2 s rather than 5 s, 5 min, ...: three attempts in seconds.
            worker_environment={"IMGREC_WEBHOOK_RETRY_DELAYS": "1,2"},
        )
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def api(stack: object) -> object:
    from tests.support.api import ApiClient

    return ApiClient(stack.api_url, token="alice")  # type: ignore[attr-defined]
