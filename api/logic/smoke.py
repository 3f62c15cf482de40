"""The pre-traffic smoke test: one harmless invocation of each new version, judged before traffic moves (pure).

CodeDeploy calls the hook (api/handle_pre_traffic.py) before it shifts any traffic to a new version; a
version that cannot start, load its settings or answer its simplest request stops the release there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from imagejobs.errors import ImgrecError


class InvocationError(ImgrecError):
    """Lambda refused or failed the invocation itself (permissions, throttling, missing version)."""


@dataclass(frozen=True)
class Answer:
    """What an invocation returned: Lambda's FunctionError marker (None when the handler returned) and payload."""

    function_error: str | None
    payload: Any


class Invoker(Protocol):
    def invoke(self, version_arn: str, event: dict[str, Any]) -> Answer: ...


class Reporter(Protocol):
    """Tells CodeDeploy whether the release may go on."""

    def report(self, deployment_id: str, hook_execution_id: str, *, passed: bool) -> None: ...


@dataclass(frozen=True)
class Probe:
    name: str
    version_arn: str
    event: dict[str, Any]
    judge: Callable[[Answer], str | None]


def api_health_event() -> dict[str, Any]:
    """GET /health as API Gateway's REST proxy integration delivers it."""
    return {
        "resource": "/health",
        "path": "/health",
        "httpMethod": "GET",
        "headers": {"Accept": "application/json"},
        "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/health",
            "httpMethod": "GET",
            "path": "/v1/health",
            "stage": "v1",
            "requestId": "pre-traffic-smoke-test",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def empty_batch_event() -> dict[str, Any]:
    """An event source batch with no records (SQS and DynamoDB streams deliver the same shape): the handler
    starts, loads its settings and clients, and answers."""
    return {"Records": []}


def judge_api_health(answer: Answer) -> str | None:
    if answer.function_error:
        return f"raised {answer.function_error}: {answer.payload}"
    if not isinstance(answer.payload, dict) or answer.payload.get("statusCode") != 200:
        status = answer.payload.get("statusCode") if isinstance(answer.payload, dict) else answer.payload
        return f"GET /health answered {status}, not 200"
    return None


def judge_empty_batch(answer: Answer) -> str | None:
    if answer.function_error:
        return f"raised {answer.function_error}: {answer.payload}"
    if answer.payload != {"batchItemFailures": []}:
        return f"an empty batch answered {answer.payload!r}, not no failures"
    return None


def probes(
    api_version: str,
    worker_version: str,
    dead_letter_version: str,
    deletion_version: str,
    indexer_version: str | None = None,
    notifier_version: str | None = None,
    webhook_sender_version: str | None = None,
) -> list[Probe]:
    """One probe per new version; the indexer's only where the stack has one (it runs where the table is).
    The notifier and the webhook sender read event sources too: an empty batch loads their settings and
    clients. (The WebSocket handler and authorizer are left to their alarms: no request of theirs is
    harmless without a connection.)"""
    checks = [
        Probe("api", api_version, api_health_event(), judge_api_health),
        Probe("worker", worker_version, empty_batch_event(), judge_empty_batch),
        Probe("dead-letters", dead_letter_version, empty_batch_event(), judge_empty_batch),
        Probe("deletions", deletion_version, empty_batch_event(), judge_empty_batch),
    ]
    for name, version in (
        ("indexer", indexer_version),
        ("notifier", notifier_version),
        ("webhook-sender", webhook_sender_version),
    ):
        if version is not None:
            checks.append(Probe(name, version, empty_batch_event(), judge_empty_batch))
    return checks


def run_probes(checks: list[Probe], invoker: Invoker) -> dict[str, str]:
    """Probe name -> why it failed, for every probe that failed (empty: all passed)."""
    failures: dict[str, str] = {}
    for probe in checks:
        try:
            verdict = probe.judge(invoker.invoke(probe.version_arn, probe.event))
        except InvocationError as error:
            verdict = f"could not be invoked: {error}"
        if verdict is not None:
            failures[probe.name] = verdict
    return failures
