"""The DynamoDB Streams event source mapping, emulated for the embedded stack: reads every shard of the
table's stream in order, hands the function batches of up to `batch_size` records (after a batching
window), and on a partial failure (`batchItemFailures`, ReportBatchItemFailures) retries from the failed
record, as Lambda does, until `maximum_retry_attempts`; then it skips the record (AWS would send it to the
on-failure destination) and reports the error. Only records that match the consumer's filter patterns
(the template's FilterCriteria, `local_stack.resources`) reach the function, as Lambda's event filtering
does: the indexer gets job records, the notifier terminal job writes and finished batches. Each consumer
reads the stream on its own, as two event source mappings of one stream do."""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_stack import names
from local_stack.poller import HttpInvoker, InProcessInvoker, InvocationError, Invoker, load_handler, report
from local_stack.process import announce, wait_for_shutdown
from local_stack.resources import INDEXER_FILTERS, NOTIFIER_FILTERS, STACK

# Lambda polls each shard of a DynamoDB stream four times a second; so does this, when nothing came. (Every
# 0.1 s, two pollers kept the emulator busy at ~10 CPU s per minute with nothing happening.)
_IDLE_SECONDS = 0.25
# The table's shards are listed again this often (moto's stream keeps one shard; AWS's split and close).
_SHARDS_REFRESH_SECONDS = 5.0
# Each consumer's FilterCriteria patterns, by the name `--filter` takes.
FILTERS = {"indexer": INDEXER_FILTERS, "notifier": NOTIFIER_FILTERS}


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filtering, for the rules the template uses: nested objects, lists of allowed
    strings, and `{"exists": true|false}`."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_matches(rule, value.get(key, _ABSENT)) for key, rule in pattern.items())
    for allowed in pattern:
        if isinstance(allowed, dict) and "exists" in allowed:
            if allowed["exists"] == (value is not _ABSENT):
                return True
        elif value is not _ABSENT and value == allowed:
            return True
    return False


_ABSENT = object()


def matches_any(patterns: tuple[str, ...], record: dict[str, Any]) -> bool:
    return any(_matches(json.loads(pattern), record) for pattern in patterns)


def wanted(record: dict[str, Any], patterns: tuple[str, ...] = INDEXER_FILTERS) -> bool:
    """Whether the record passes the consumer's FilterCriteria (the indexer's by default)."""
    return matches_any(patterns, record)


def to_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    return {**record, "eventSource": "aws:dynamodb", "eventSourceARN": stream_arn, "awsRegion": names.REGION}


def failed_from(records: list[dict[str, Any]], response: Any) -> int | None:
    """The position of the first record the function reported failed, or None when all succeeded."""
    failures = response.get("batchItemFailures", []) if isinstance(response, dict) else []
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    positions = [sequences.index(f.get("itemIdentifier")) for f in failures if f.get("itemIdentifier") in sequences]
    return min(positions) if positions else (0 if failures else None)


@dataclass
class StreamPoller:
    streams: Any  # a boto3 `dynamodbstreams` client
    stream_arn: str
    invoker: Invoker
    batch_size: int = STACK.library.stream_batch_size
    maximum_retry_attempts: int = STACK.library.stream_maximum_retry_attempts
    on_error: Callable[[Exception], None] = lambda error: None
    filters: tuple[str, ...] = INDEXER_FILTERS
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    # Records taken from the stream and not yet handled, per shard, with how often the first one failed.
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _attempts: int = 0
    _shards_listed_at: float | None = None
    idle: threading.Event = field(default_factory=threading.Event)

    def start(self) -> StreamPoller:
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _shards(self) -> None:
        now = time.monotonic()
        fresh = self._shards_listed_at is not None and now - self._shards_listed_at < _SHARDS_REFRESH_SECONDS
        if fresh and all(iterator is not None for iterator in self._iterators.values()):
            return
        self._shards_listed_at = now
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self._pending[shard["ShardId"]] = []

    def poll_once(self) -> int:
        """Read each shard, invoke for what is pending. Returns the records handed to the function."""
        self._shards()
        handed = 0
        for shard, iterator in list(self._iterators.items()):
            if iterator is not None:
                answer = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                self._iterators[shard] = answer.get("NextShardIterator")
                self._pending[shard] += [r for r in answer.get("Records", []) if wanted(r, self.filters)]
            handed += self._invoke(shard)
        return handed

    def _invoke(self, shard: str) -> int:
        pending = self._pending[shard]
        if not pending:
            return 0
        batch = pending[: self.batch_size]
        try:
            response = self.invoker.invoke({"Records": [to_lambda_record(r, self.stream_arn) for r in batch]})
            failed = failed_from(batch, response)
        except InvocationError as error:
            self.on_error(error)
            failed = 0
        if failed is None:
            del pending[: len(batch)]
            self._attempts = 0
            return len(batch)
        del pending[:failed]
        self._attempts += 1
        if self._attempts > self.maximum_retry_attempts:
            self.on_error(RuntimeError(f"stream record dropped after retries: {pending[0]['dynamodb']}"))
            del pending[0]
            self._attempts = 0
        return len(batch)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handed = self.poll_once()
            except Exception as error:
                self.on_error(error)
                handed = 0
            if handed == 0:
                self.idle.set()
                self._stop.wait(_IDLE_SECONDS)
            else:
                self.idle.clear()


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(description="Emulate the DynamoDB Streams event source mapping of a table.")
    parser.add_argument("--table-name", default=names.TABLE_NAME)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--invoke-url", help="…/2015-03-31/functions/function/invocations (compose)")
    target.add_argument("--handler", help="module.function to run in this process (the embedded stack)")
    parser.add_argument("--function-name", default="imgrec-indexer")
    parser.add_argument("--timeout", type=int, default=60, help="the function's timeout in seconds")
    parser.add_argument("--batch-size", type=int, default=STACK.library.stream_batch_size)
    parser.add_argument("--filter", choices=sorted(FILTERS), default="indexer", help="the consumer's FilterCriteria")
    args = parser.parse_args(argv)
    invoker: Invoker = (
        InProcessInvoker(load_handler(args.handler, args.function_name), args.function_name, args.timeout)
        if args.handler
        else HttpInvoker(args.invoke_url)
    )
    table = boto3.client("dynamodb").describe_table(TableName=args.table_name)["Table"]
    poller = StreamPoller(
        streams=boto3.client("dynamodbstreams"),
        stream_arn=table["LatestStreamArn"],
        invoker=invoker,
        batch_size=args.batch_size,
        on_error=report,
        filters=FILTERS[args.filter],
    ).start()
    announce(f"stream poller listening on {table['LatestStreamArn']} for {args.function_name}")
    wait_for_shutdown()
    poller.stop()


if __name__ == "__main__":
    main()
