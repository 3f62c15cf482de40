"""The compose invoke path for real, without Docker: the poller's HttpInvoker -> the Lambda Runtime Interface
Emulator (the binary the AWS base images carry, taken from the aws-sam-cli wheel) -> awslambdaric -> handler.

`make infra-lint` puts the emulator and awslambdaric under .tools/rie; without them these tests skip.
The handlers are stand-ins (tests/infra/rie_handlers.py) because the real worker needs the whole stack;
what is tested here is the emulator's invoke contract that the poller relies on.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local_stack.poller import HttpInvoker, InvocationError, Poller
from tests.infra.conftest import REPO, local_client

RIE = REPO / ".tools" / "rie" / "aws-lambda-rie"
RIE_PYTHON = REPO / ".tools" / "rie" / "venv" / "bin" / "python"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "the emulator exited"
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "the emulator did not listen"
            time.sleep(0.1)


@pytest.fixture
def emulator() -> Iterator[Callable[[str], str]]:
    if not (RIE.exists() and RIE_PYTHON.exists()):
        pytest.skip("no Runtime Interface Emulator under .tools/rie (make infra-lint fetches it)")
    processes: list[subprocess.Popen[bytes]] = []

    def start(handler: str) -> str:
        port = free_loopback_port()
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
        }
        process = subprocess.Popen(
            [
                str(RIE),
                # Both of the emulator's addresses on loopback (it defaults to 0.0.0.0:8080).
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{port}",
                "--runtime-api-address",
                f"127.0.0.1:{free_loopback_port()}",
                str(RIE_PYTHON),
                "-m",
                "awslambdaric",
                handler,
            ],
            cwd=REPO,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        wait_for_port(port, process)
        return f"http://127.0.0.1:{port}{INVOKE_PATH}"

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {"Records": [{"messageId": str(i), "body": body} for i, body in enumerate(bodies)]}


def test_emulator_returns_the_handlers_partial_batch_response(emulator):
    url = emulator("tests.infra.rie_handlers.report_bad_records")

    answer = HttpInvoker(url, timeout_seconds=30).invoke(sqs_event("fine", "bad", "fine"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}]}


def test_a_crashing_handler_is_an_invocation_error(emulator):
    url = emulator("tests.infra.rie_handlers.crash")

    with pytest.raises(InvocationError, match="worker crashed"):
        HttpInvoker(url, timeout_seconds=30).invoke(sqs_event("any"))


def test_poller_through_the_emulator_deletes_only_unreported_records(emulator, aws_emulator):
    url = emulator("tests.infra.rie_handlers.report_bad_records")
    sqs = local_client("sqs", aws_emulator)
    queue_url = sqs.create_queue(QueueName=f"rie-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "1"})[
        "QueueUrl"
    ]
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    errors: list[Exception] = []
    poller = Poller(
        sqs=sqs, queue_url=queue_url, invoker=HttpInvoker(url), maximum_concurrency=1, on_error=errors.append
    ).start()
    try:
        deadline = time.monotonic() + 30
        # Done when the queue holds only the reported record (in flight or visible).
        while True:
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
            left = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
            if left == 1:
                break
            assert time.monotonic() < deadline, f"{left} messages left"
            time.sleep(0.2)
    finally:
        poller.stop()

    assert errors == []
    time.sleep(1.2)
    remaining = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
    assert [m["Body"] for m in remaining] == ["bad"]
