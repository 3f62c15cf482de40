"""The poller's HTTP invoke path (compose: poller -> Runtime Interface Emulator -> worker), without Docker.

A stand-in for the emulator's invoke endpoint answers `POST /2015-03-31/functions/function/invocations`
the way the emulator does: the handler's return value as the JSON body, or an error document.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_stack.poller import HttpInvoker, InvocationError, Poller
from tests.infra.conftest import local_client

INVOKE_PATH = "/2015-03-31/functions/function/invocations"

Behaviour = Callable[[dict[str, Any]], tuple[dict[str, str], Any]]


def report_failed_bodies(*bad_bodies: str) -> Behaviour:
    """A worker that reports the records with these bodies in batchItemFailures (ReportBatchItemFailures)."""

    def answer(event: dict[str, Any]) -> tuple[dict[str, str], Any]:
        failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in bad_bodies]
        return {}, {"batchItemFailures": failures}

    return answer


@dataclass
class StandInEmulator:
    behaviour: Behaviour
    events: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def invoke_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{INVOKE_PATH}"

    def records_seen(self) -> list[str]:
        return [record["body"] for event in list(self.events) for record in event["Records"]]

    def start(self) -> StandInEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                event = json.loads(self.rfile.read(length))
                emulator.paths.append(self.path)
                if self.path != INVOKE_PATH:
                    self.send_response(404)
                    self.end_headers()
                    return
                emulator.events.append(event)
                headers, payload = emulator.behaviour(event)
                body = json.dumps(payload).encode()
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def emulator_factory() -> Iterator[Callable[[Behaviour], StandInEmulator]]:
    started: list[StandInEmulator] = []

    def start(behaviour: Behaviour) -> StandInEmulator:
        started.append(StandInEmulator(behaviour).start())
        return started[-1]

    yield start
    for emulator in started:
        emulator.stop()


def test_http_invoker_posts_the_event_to_the_invoke_url_and_returns_the_answer(emulator_factory):
    emulator = emulator_factory(report_failed_bodies("b"))
    event = {"Records": [{"messageId": "1", "body": "a"}, {"messageId": "2", "body": "b"}]}

    answer = HttpInvoker(emulator.invoke_url).invoke(event)

    assert emulator.paths == [INVOKE_PATH]
    assert emulator.events == [event]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "2"}]}


@pytest.mark.parametrize(
    "headers",
    [{"X-Amz-Function-Error": "Unhandled"}, {}],
    ids=["with-function-error-header", "error-document-only"],
)
def test_http_invoker_raises_on_a_function_error(emulator_factory, headers):
    error = {"errorMessage": "boom", "errorType": "RuntimeError", "stackTrace": []}
    emulator = emulator_factory(lambda event: (headers, error))

    with pytest.raises(InvocationError, match="boom"):
        HttpInvoker(emulator.invoke_url).invoke({"Records": []})


def test_http_invoker_raises_when_the_emulator_is_not_there(emulator_factory):
    emulator = emulator_factory(report_failed_bodies())
    url = emulator.invoke_url
    emulator.stop()

    with pytest.raises(InvocationError):
        HttpInvoker(url, timeout_seconds=5).invoke({"Records": []})


@pytest.fixture
def jobs_queue(aws_emulator: str) -> tuple[Any, str]:
    sqs = local_client("sqs", aws_emulator)
    # A queue of its own per test, and a one-second visibility timeout, so that a reported failure is
    # visible again within the test.
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    return sqs, queue_url


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_poller_over_http_deletes_only_the_records_the_function_did_not_report(emulator_factory, jobs_queue):
    sqs, queue_url = jobs_queue
    emulator = emulator_factory(report_failed_bodies("bad"))
    for body in ("ok-1", "ok-2", "bad"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    errors: list[Exception] = []
    poller = Poller(
        sqs=sqs,
        queue_url=queue_url,
        invoker=HttpInvoker(emulator.invoke_url),
        maximum_concurrency=1,
        on_error=errors.append,
    ).start()
    try:
        wait_until(lambda: {"ok-1", "ok-2", "bad"} <= set(emulator.records_seen()))
    finally:
        poller.stop()

    assert errors == []
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    record = emulator.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert {"messageId", "receiptHandle", "body", "attributes", "md5OfBody"} <= set(record)
    # The reported record comes back after the visibility timeout; the others were deleted.
    time.sleep(1.2)
    remaining = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
    assert [m["Body"] for m in remaining] == ["bad"]


def test_poller_over_http_deletes_nothing_when_the_invocation_fails(emulator_factory, jobs_queue):
    sqs, queue_url = jobs_queue
    emulator = emulator_factory(lambda event: ({"X-Amz-Function-Error": "Unhandled"}, {"errorType": "Crash"}))
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    errors: list[Exception] = []
    poller = Poller(
        sqs=sqs,
        queue_url=queue_url,
        invoker=HttpInvoker(emulator.invoke_url),
        maximum_concurrency=1,
        on_error=errors.append,
    ).start()
    try:
        wait_until(lambda: {"one", "two"} <= set(emulator.records_seen()))
    finally:
        poller.stop()

    assert errors and all(isinstance(e, InvocationError) for e in errors)
    time.sleep(1.2)
    remaining = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
    assert sorted(m["Body"] for m in remaining) == ["one", "two"]
