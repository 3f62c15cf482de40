"""The job store: executes the requests built in `records` with a DynamoDB client.

`JobStore` takes a boto3 client (the API), `AsyncJobStore` an aioboto3 client (the worker). Both translate
DynamoDB's errors the same way: a failed condition means somebody else changed the job first
(`StaleRecordError`); throttling and transaction conflicts are retried, then surface as `TransientError`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs import records
from imagejobs.aws_errors import is_transient, translate
from imagejobs.errors import ImgrecError, TransientError
from imagejobs.model import JobStatus
from imagejobs.records import AttributeMap, BatchRecord, JobRecord

TRANSACTION_LIMIT = 100
_CONFLICT_ATTEMPTS = 8


class StaleRecordError(ImgrecError):
    """The record changed since it was read (its status or version no longer match)."""


class StaleCancellationError(StaleRecordError):
    """A transaction was cancelled because some of its items changed; `failed` holds their indexes."""

    def __init__(self, message: str, failed: set[int]) -> None:
        super().__init__(message)
        self.failed = failed


def _classify(error: ClientError) -> type[Exception] | None:
    """Which of our errors a DynamoDB ClientError stands for; None for anything unexpected."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return StaleRecordError
    if code == "TransactionCanceledException":
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if "ConditionalCheckFailed" in reasons:
            return StaleRecordError
        return TransientError
    if is_transient(error):
        return TransientError
    return None


def _stale(error: ClientError) -> StaleRecordError:
    reasons = error.response.get("CancellationReasons", [])
    failed = {i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}
    return StaleCancellationError(str(error), failed)


def _retry_delay(error: ClientError, operation: str, attempt: int) -> float:
    """How long to wait before retrying a failed call, or the error it stands for when retrying is pointless
    (both stores' retry loops share this one decision)."""
    kind = _classify(error)
    if kind is None:
        raise translate(error, f"DynamoDB {operation}") from error
    if kind is StaleRecordError:
        raise _stale(error) from error
    if attempt == _CONFLICT_ATTEMPTS - 1:
        raise TransientError(str(error)) from error
    return _backoff(attempt)


def _backoff(attempt: int) -> float:
    return float(min(1.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class JobStore:
    """Synchronous store for the API Lambda."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def _call(self, operation: str, request: AttributeMap) -> Any:
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                return getattr(self._client, operation)(**request)
            except ClientError as error:
                time.sleep(_retry_delay(error, operation, attempt))
            except BotoCoreError as error:  # timeouts and connection failures, after botocore's own retries
                raise translate(error, f"DynamoDB {operation}") from error
        raise AssertionError("unreachable")

    def get_job(self, job_id: str) -> JobRecord | None:
        answer = self._call(
            "get_item", {"TableName": self._table, "Key": records.job_key(job_id), "ConsistentRead": True}
        )
        return JobRecord.from_item(answer["Item"]) if "Item" in answer else None

    def get_jobs(self, job_ids: list[str]) -> list[JobRecord]:
        found: list[JobRecord] = []
        for group in chunks(list(dict.fromkeys(job_ids)), 100):
            request: AttributeMap = {self._table: {"Keys": [records.job_key(j) for j in group], "ConsistentRead": True}}
            while request:
                answer = self._call("batch_get_item", {"RequestItems": request})
                found += [JobRecord.from_item(item) for item in answer["Responses"].get(self._table, [])]
                request = answer.get("UnprocessedKeys") or {}
        return found

    def get_batch(self, batch_id: str) -> BatchRecord | None:
        answer = self._call(
            "get_item", {"TableName": self._table, "Key": records.batch_key(batch_id), "ConsistentRead": True}
        )
        return BatchRecord.from_item(answer["Item"]) if "Item" in answer else None

    def create_batch(self, batch: BatchRecord, jobs: list[JobRecord]) -> None:
        """Write the batch and its jobs; each transaction keeps the batch's counters exact."""
        first, rest = jobs[: TRANSACTION_LIMIT - 1], jobs[TRANSACTION_LIMIT - 1 :]
        self._call("transact_write_items", records.put_batch_with_jobs_request(self._table, batch, first))
        if rest:
            self.add_jobs(batch.batch_id, rest)

    def reserve_seq(self, batch_id: str, count: int) -> int:
        """Reserve `count` sequence numbers; returns the first."""
        answer = self._call("update_item", records.reserve_seq_request(self._table, batch_id, count))
        return int(answer["Attributes"]["nextSeq"]["N"]) - count

    def add_jobs(self, batch_id: str, jobs: list[JobRecord], max_total: int | None = None) -> None:
        """Add jobs to a batch, 99 per transaction. With `max_total`, a group that would take the batch past
        it is refused as a whole (`StaleRecordError`): the per-batch quota holds under concurrent adds."""
        for group in chunks(jobs, TRANSACTION_LIMIT - 1):
            self._call("transact_write_items", records.add_jobs_request(self._table, batch_id, group, max_total))

    def reserve_daily_images(self, owner: str, day: str, count: int, limit: int, expires_at: int) -> bool:
        """Count `count` more images against `owner`'s quota for `day`; False (nothing counted) when that
        would pass `limit`."""
        if count > limit:
            return False
        try:
            self._call(
                "update_item", records.reserve_daily_images_request(self._table, owner, day, count, limit, expires_at)
            )
        except StaleRecordError:
            return False
        return True

    def transition(self, before: JobRecord, after: JobRecord) -> JobRecord:
        self._call("transact_write_items", records.transition_request(self._table, before, after))
        return after

    def transition_many(self, pairs: list[tuple[JobRecord, JobRecord]]) -> list[JobRecord]:
        """Apply the same move to many jobs of one batch, 99 per transaction. A job that changed
        meanwhile (its condition failed) is left out and the rest retried. Returns the jobs moved."""
        moved: list[JobRecord] = []
        for group in chunks(pairs, TRANSACTION_LIMIT - 1):
            pending = group
            while pending:
                try:
                    self._call("transact_write_items", records.transitions_request(self._table, pending))
                except StaleCancellationError as cancelled:
                    if not cancelled.failed:
                        raise
                    pending = [pair for index, pair in enumerate(pending) if index not in cancelled.failed]
                    continue
                moved += [after for _, after in pending]
                pending = []
        return moved

    def list_jobs(
        self,
        batch_id: str,
        limit: int,
        start_key: AttributeMap | None = None,
        status: JobStatus | None = None,
    ) -> tuple[list[JobRecord], AttributeMap | None]:
        query = records.jobs_of_batch_query(self._table, batch_id, limit, start_key, status)
        answer = self._call("query", query)
        return [JobRecord.from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")

    def all_jobs(self, batch_id: str) -> list[JobRecord]:
        jobs: list[JobRecord] = []
        start: AttributeMap | None = None
        while True:
            page, start = self.list_jobs(batch_id, 500, start)
            jobs += page
            if not start:
                return jobs

    def list_batches(
        self, owner: str, limit: int, start_key: AttributeMap | None = None
    ) -> tuple[list[BatchRecord], AttributeMap | None]:
        answer = self._call("query", records.batches_of_owner_query(self._table, owner, limit, start_key))
        return [BatchRecord.from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")


class AsyncJobStore:
    """The same store for the worker, on an aioboto3 DynamoDB client opened inside the running loop."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    async def _call(self, operation: str, request: AttributeMap) -> Any:
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                return await getattr(self._client, operation)(**request)
            except ClientError as error:
                await asyncio.sleep(_retry_delay(error, operation, attempt))
            except BotoCoreError as error:  # timeouts and connection failures, after botocore's own retries
                raise translate(error, f"DynamoDB {operation}") from error
        raise AssertionError("unreachable")

    async def get_job(self, job_id: str) -> JobRecord | None:
        answer = await self._call(
            "get_item", {"TableName": self._table, "Key": records.job_key(job_id), "ConsistentRead": True}
        )
        return JobRecord.from_item(answer["Item"]) if "Item" in answer else None

    async def transition(self, before: JobRecord, after: JobRecord) -> JobRecord:
        await self._call("transact_write_items", records.transition_request(self._table, before, after))
        return after
