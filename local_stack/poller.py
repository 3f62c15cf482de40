"""The SQS event source mapping, emulated: long-polls a queue, gathers batches (batch size, batching
window), runs up to `maximum_concurrency` invocations at once, and deletes only the records the function
did not report in `batchItemFailures` (ReportBatchItemFailures). A failed invocation deletes nothing:
the queue's visibility timeout and redrive policy then do what they do in AWS.

The function is invoked in-process (`--handler`: the embedded stack, where this process is one of the
function's execution environments and runs one invocation at a time, as a Lambda instance does) or over
HTTP through the Lambda Runtime Interface Emulator's invoke URL (`--invoke-url`: compose). Idle, each of
its threads waits in one long poll.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from local_stack import names
from local_stack.lambda_context import LocalLambdaContext
from local_stack.log_lines import emit
from local_stack.process import announce, wait_for_shutdown
from local_stack.resources import STACK

Handler = Callable[[dict[str, Any], Any], Any]
# SQS's longest receive wait: an idle poller thread costs one request per 20 s.
LONG_POLL_SECONDS = 20


class InvocationError(RuntimeError):
    """The function failed as a whole (raised, timed out, or answered with a function error)."""


class Invoker(Protocol):
    def invoke(self, event: dict[str, Any]) -> Any: ...


@dataclass
class InProcessInvoker:
    """The function in this process, as one Lambda execution environment: one invocation at a time (the
    handler may keep an event loop and clients between invocations, as Lambda allows)."""

    handler: Handler
    function_name: str = "imgrec-worker"
    timeout_seconds: int = 120
    _one_at_a_time: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._one_at_a_time:
            context = LocalLambdaContext(function_name=self.function_name, timeout_seconds=self.timeout_seconds)
            started = time.monotonic()
            try:
                return self._call(event, context)
            finally:
                # Lambda's REPORT line: how long the invocation took, in the function's log.
                emit(
                    "INFO",
                    "invocation report",
                    function_name=self.function_name,
                    function_request_id=context.aws_request_id,
                    records=len(event.get("Records", [])),
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                )

    def _call(self, event: dict[str, Any], context: LocalLambdaContext) -> Any:
        try:
            return self.handler(event, context)
        except Exception as error:
            raise InvocationError(f"{self.function_name} raised {type(error).__name__}: {error}") from error


@dataclass
class HttpInvoker:
    """POSTs the event to `…/2015-03-31/functions/function/invocations` (the Runtime Interface Emulator)."""

    url: str
    timeout_seconds: float = 900

    def invoke(self, event: dict[str, Any]) -> Any:
        request = urllib.request.Request(  # noqa: S310 - a loopback/compose URL given by the operator
            self.url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:  # noqa: S310
                function_error = answer.headers.get("X-Amz-Function-Error")
                payload = json.loads(answer.read() or b"null")
        except (OSError, ValueError) as error:
            raise InvocationError(f"invoke failed: {error}") from error
        if function_error or (isinstance(payload, dict) and "errorType" in payload):
            raise InvocationError(f"function error: {payload}")
        return payload


def to_lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = dict(message.get("Attributes", {}))
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": names.REGION,
    }


def succeeded_receipts(records: list[dict[str, Any]], response: Any) -> list[str]:
    """Receipt handles to delete, by Lambda's rules for partial batch responses: an answer that names an
    unknown or empty identifier fails the whole batch."""
    failures = (response or {}).get("batchItemFailures", []) if isinstance(response, dict) else []
    failed_ids = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    known = {r["messageId"] for r in records}
    if any(not i or i not in known for i in failed_ids):
        return []
    return [r["receiptHandle"] for r in records if r["messageId"] not in failed_ids]


@dataclass
class Poller:
    sqs: Any
    queue_url: str
    invoker: Invoker
    batch_size: int = STACK.event_source.batch_size
    batching_window_seconds: float = STACK.event_source.maximum_batching_window_seconds
    maximum_concurrency: int = STACK.event_source.maximum_concurrency
    on_error: Callable[[Exception], None] = lambda error: None
    wait_seconds: int = 1
    _stop: threading.Event = field(default_factory=threading.Event)
    _invoking: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)
    _threads: list[threading.Thread] = field(default_factory=list)
    _queue_arn: str = ""

    def start(self) -> Poller:
        self._queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        for index in range(self.maximum_concurrency):
            thread = threading.Thread(target=self._run, name=f"poller-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, grace_seconds: float = 10) -> None:
        """Lets running invocations finish (up to `grace_seconds`), and no new one start. Threads waiting
        in a receive are not waited for: they are daemons, and what they receive now is not invoked."""
        self._stop.set()
        with self._idle:
            self._idle.wait_for(lambda: self._invoking == 0, timeout=grace_seconds)

    def _receive(self, wait_seconds: int, count: int) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        return messages

    def gather_batch(self) -> list[dict[str, Any]]:
        messages = self._receive(self.wait_seconds, min(10, self.batch_size))
        if not messages:
            return []
        deadline = time.monotonic() + self.batching_window_seconds
        while len(messages) < self.batch_size and time.monotonic() < deadline and not self._stop.is_set():
            more = self._receive(0, min(10, self.batch_size - len(messages)))
            if not more:
                time.sleep(0.05)
            messages += more
        return messages

    def poll_once(self) -> int:
        """One receive → invoke → delete cycle. Returns how many records were handed to the function."""
        messages = self.gather_batch()
        with self._idle:
            if not messages or self._stop.is_set():
                return 0  # stopping: what was received comes back after the visibility timeout
            self._invoking += 1
        records = [to_lambda_record(m, self._queue_arn) for m in messages]
        try:
            self._invoke_and_delete(records)
        finally:
            with self._idle:
                self._invoking -= 1
                self._idle.notify_all()
        return len(records)

    def _invoke_and_delete(self, records: list[dict[str, Any]]) -> None:
        try:
            response = self.invoker.invoke({"Records": records})
        except InvocationError as error:
            self.on_error(error)
            return  # nothing deleted: the messages come back after the visibility timeout
        receipts = succeeded_receipts(records, response)
        for start in range(0, len(receipts), 10):
            entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts[start : start + 10])]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as error:
                if self._stop.is_set():
                    return  # the emulator may be stopping too
                self.on_error(error)
                self._stop.wait(1)


def load_handler(dotted: str, function_name: str | None = None) -> Handler:
    """`package.module.function` → the function (what a Lambda's Handler setting names). With the function's
    name, imported as Lambda's init phase does it: AWS_LAMBDA_FUNCTION_NAME is set, so a handler that
    prepares its execution environment at import (the worker's clients and normalizer children) does so
    here, before the first event, not during it."""
    if function_name:
        os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", function_name)
    module_name, _, function_name = dotted.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), function_name)
    return handler


def report(error: Exception) -> None:
    message = "invocation failed" if isinstance(error, InvocationError) else "polling failed"
    emit("ERROR", message, error=str(error), exception_name=type(error).__name__)


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(description="Emulate the SQS event source mapping for one queue.")
    parser.add_argument("--queue-name", default=names.QUEUE_NAME)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--invoke-url", help="…/2015-03-31/functions/function/invocations (compose)")
    target.add_argument("--handler", help="module.function to run in this process (the embedded stack)")
    parser.add_argument("--function-name", default="imgrec-worker")
    parser.add_argument("--timeout", type=int, default=120, help="the function's timeout in seconds")
    parser.add_argument("--batch-size", type=int, default=STACK.event_source.batch_size)
    parser.add_argument("--batching-window", type=float, default=STACK.event_source.maximum_batching_window_seconds)
    parser.add_argument("--maximum-concurrency", type=int, default=STACK.event_source.maximum_concurrency)
    args = parser.parse_args(argv)
    # Invocations that record no business metric (health checks, empty batches) would each print a warning.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    invoker: Invoker = (
        InProcessInvoker(load_handler(args.handler, args.function_name), args.function_name, args.timeout)
        if args.handler
        else HttpInvoker(args.invoke_url)
    )
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=args.queue_name)["QueueUrl"]
    poller = Poller(
        sqs=sqs,
        queue_url=queue_url,
        invoker=invoker,
        batch_size=args.batch_size,
        batching_window_seconds=args.batching_window,
        maximum_concurrency=args.maximum_concurrency,
        on_error=report,
        wait_seconds=LONG_POLL_SECONDS,
    ).start()
    announce(f"poller listening on {queue_url} for {args.function_name}")
    wait_for_shutdown()
    poller.stop()


if __name__ == "__main__":
    main()
