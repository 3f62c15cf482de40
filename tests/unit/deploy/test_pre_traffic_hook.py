"""The pre-traffic smoke test: its probes are what the real handlers accept, and it always reports back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.handle_pre_traffic import handle_hook
from api.logic.smoke import (
    Answer,
    InvocationError,
    Invoker,
    Reporter,
    api_health_event,
    empty_batch_event,
    judge_api_health,
    judge_empty_batch,
    probes,
    run_probes,
)

VERSIONS = {
    "IMGREC_SMOKE_API_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-api:7",
    "IMGREC_SMOKE_WORKER_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-WorkerFunction-abc:3",
    "IMGREC_SMOKE_DEAD_LETTER_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-DeadLetterFunction-x:2",
    "IMGREC_SMOKE_DELETION_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-DeletionFunction-d:4",
    "IMGREC_SMOKE_INDEXER_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-IndexerFunction-i:5",
    "IMGREC_SMOKE_NOTIFIER_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-NotifierFunction-n:2",
    "IMGREC_SMOKE_WEBHOOK_SENDER_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:imgrec-WebhookSender-w:6",
}
# What the template gives the functions (values made up): enough for each to load its settings and clients.
STORE_SETTINGS = {"IMGREC_TABLE_NAME": "jobs", "IMGREC_BUCKET_NAME": "images"}
API_SETTINGS = {
    **STORE_SETTINGS,
    "IMGREC_QUEUE_URL": "https://sqs.local/q",
    "IMGREC_DELETIONS_QUEUE_URL": "https://sqs.local/deletions",
    "IMGREC_WEBHOOK_QUEUE_URL": "https://sqs.local/webhooks",
}
NOTIFY_SETTINGS = {"IMGREC_TABLE_NAME": "jobs", "IMGREC_WEBHOOK_QUEUE_URL": "https://sqs.local/webhooks"}
NOTIFIER_SETTINGS = {**NOTIFY_SETTINGS, "IMGREC_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:imgrec-events"}
HOOK_EVENT = {"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "hook-1"}


class FakeInvoker:
    """Stands in for LambdaInvoker: answers per version ARN from a table."""

    def __init__(self, answers: dict[str, Answer | Exception]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, version_arn: str, event: dict[str, Any]) -> Answer:
        self.calls.append((version_arn, event))
        answer = self.answers[version_arn]
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeReporter:
    """Stands in for CodeDeployReporter: records what CodeDeploy would have been told."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, str, bool]] = []

    def report(self, deployment_id: str, hook_execution_id: str, *, passed: bool) -> None:
        self.reports.append((deployment_id, hook_execution_id, passed))


_invoker: Invoker = FakeInvoker({})
_reporter: Reporter = FakeReporter()


@pytest.fixture
def versions(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    from api.smoke_settings import get_smoke_settings

    for name, value in VERSIONS.items():
        monkeypatch.setenv(name, value)
    get_smoke_settings.cache_clear()
    yield VERSIONS
    get_smoke_settings.cache_clear()


def _healthy() -> dict[str, Answer | Exception]:
    return {
        VERSIONS["IMGREC_SMOKE_API_VERSION"]: Answer(None, {"statusCode": 200, "body": '{"status":"ok"}'}),
        VERSIONS["IMGREC_SMOKE_WORKER_VERSION"]: Answer(None, {"batchItemFailures": []}),
        VERSIONS["IMGREC_SMOKE_DEAD_LETTER_VERSION"]: Answer(None, {"batchItemFailures": []}),
        VERSIONS["IMGREC_SMOKE_DELETION_VERSION"]: Answer(None, {"batchItemFailures": []}),
        VERSIONS["IMGREC_SMOKE_INDEXER_VERSION"]: Answer(None, {"batchItemFailures": []}),
        VERSIONS["IMGREC_SMOKE_NOTIFIER_VERSION"]: Answer(None, {"batchItemFailures": []}),
        VERSIONS["IMGREC_SMOKE_WEBHOOK_SENDER_VERSION"]: Answer(None, {"batchItemFailures": []}),
    }


def test_the_health_probe_is_an_event_the_real_api_handler_answers_200(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.app import get_app
    from api.handle_api import lambda_handler
    from api.settings import get_settings
    from tests.unit.accounts.test_sign_up import _context

    # The API reads its settings when it builds the resolver: a version deployed without them fails the probe.
    for name, value in API_SETTINGS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_app.cache_clear()
    try:
        answer = lambda_handler(api_health_event(), _context())
    finally:
        get_settings.cache_clear()
        get_app.cache_clear()

    assert judge_api_health(Answer(None, answer)) is None


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No IMGREC_* settings and no cached settings or clients, before and after (other tests share them)."""
    from api.adapters.clients import get_services
    from api.settings import get_settings
    from worker import handle_notify, handle_webhooks
    from worker.handle_index import reset_clients

    def forget() -> None:
        get_settings.cache_clear()
        get_services.cache_clear()
        reset_clients()
        handle_notify.reset_clients()
        handle_webhooks.reset_clients()

    for name in {*API_SETTINGS, *NOTIFIER_SETTINGS}:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    forget()
    yield monkeypatch
    forget()


@pytest.mark.parametrize(
    ("handler_path", "settings"),
    [
        ("worker.handle_index", STORE_SETTINGS),
        ("api.handle_deletions", API_SETTINGS),
        ("worker.handle_notify", NOTIFIER_SETTINGS),
        ("worker.handle_webhooks", NOTIFY_SETTINGS),
    ],
    ids=["indexer", "deletions", "notifier", "webhook-sender"],
)
def test_the_empty_batch_probe_passes_on_the_real_stream_and_queue_handlers_only_with_their_settings(
    no_settings: pytest.MonkeyPatch, handler_path: str, settings: dict[str, str]
) -> None:
    import importlib

    from imagejobs.settings import SettingsError
    from tests.unit.accounts.test_sign_up import _context

    handler = importlib.import_module(handler_path).lambda_handler

    # Deployed without its settings, the version raises: Lambda reports a FunctionError, the probe fails.
    with pytest.raises(SettingsError):
        handler(empty_batch_event(), _context())

    for name, value in settings.items():
        no_settings.setenv(name, value)
    answer = handler(empty_batch_event(), _context())

    assert judge_empty_batch(Answer(None, answer)) is None


def test_every_version_is_probed_once_and_a_healthy_release_goes_on(versions: dict[str, str]) -> None:
    invoker, reporter = FakeInvoker(_healthy()), FakeReporter()

    assert handle_hook(HOOK_EVENT, invoker, reporter) is True

    assert sorted(arn for arn, _ in invoker.calls) == sorted(versions.values())
    assert reporter.reports == [("d-ABC", "hook-1", True)]


@pytest.mark.parametrize(
    ("version", "answer", "reason"),
    [
        ("IMGREC_SMOKE_API_VERSION", Answer("Unhandled", {"errorType": "SettingsError"}), "raised Unhandled"),
        ("IMGREC_SMOKE_API_VERSION", Answer(None, {"statusCode": 500}), "answered 500"),
        (
            "IMGREC_SMOKE_WORKER_VERSION",
            Answer(None, {"batchItemFailures": [{"itemIdentifier": "x"}]}),
            "not no failures",
        ),
        ("IMGREC_SMOKE_DEAD_LETTER_VERSION", InvocationError("AccessDeniedException: no"), "could not be invoked"),
        ("IMGREC_SMOKE_DELETION_VERSION", Answer("Unhandled", {"errorType": "SettingsError"}), "raised Unhandled"),
        (
            "IMGREC_SMOKE_INDEXER_VERSION",
            Answer(None, {"batchItemFailures": [{"itemIdentifier": "1"}]}),
            "not no failures",
        ),
        ("IMGREC_SMOKE_NOTIFIER_VERSION", Answer("Unhandled", {"errorType": "SettingsError"}), "raised Unhandled"),
        ("IMGREC_SMOKE_WEBHOOK_SENDER_VERSION", InvocationError("ResourceNotFoundException"), "could not be invoked"),
    ],
)
def test_one_failing_probe_rolls_the_release_back(
    versions: dict[str, str], version: str, answer: Answer | Exception, reason: str
) -> None:
    answers = _healthy() | {versions[version]: answer}
    reporter = FakeReporter()

    assert handle_hook(HOOK_EVENT, FakeInvoker(answers), reporter) is False

    assert reporter.reports == [("d-ABC", "hook-1", False)]
    [failure] = run_probes(probes(*(versions[name] for name in VERSIONS)), FakeInvoker(answers)).values()
    assert reason in failure


def test_a_stack_without_an_indexer_probes_the_other_versions_only(
    versions: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second region of a pair joins the first's table and runs no indexer (docs/deploy.md)."""
    from api.smoke_settings import get_smoke_settings

    monkeypatch.delenv("IMGREC_SMOKE_INDEXER_VERSION")
    get_smoke_settings.cache_clear()
    invoker, reporter = FakeInvoker(_healthy()), FakeReporter()

    assert handle_hook(HOOK_EVENT, invoker, reporter) is True

    probed = {arn for arn, _ in invoker.calls}
    assert probed == set(versions.values()) - {versions["IMGREC_SMOKE_INDEXER_VERSION"]}
    assert reporter.reports == [("d-ABC", "hook-1", True)]


def test_a_hook_without_its_settings_still_reports_failed_then_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.smoke_settings import get_smoke_settings

    for name in VERSIONS:
        monkeypatch.delenv(name, raising=False)
    get_smoke_settings.cache_clear()
    reporter = FakeReporter()

    with pytest.raises(Exception, match="IMGREC_SMOKE_API_VERSION"):
        handle_hook(HOOK_EVENT, FakeInvoker({}), reporter)

    assert reporter.reports == [("d-ABC", "hook-1", False)]
    get_smoke_settings.cache_clear()


def test_an_empty_batch_judge_refuses_a_function_error() -> None:
    assert judge_empty_batch(Answer("Unhandled", {"errorMessage": "boom"})) is not None
    assert judge_empty_batch(Answer(None, {"batchItemFailures": []})) is None
