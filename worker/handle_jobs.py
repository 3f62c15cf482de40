"""Entry point of the worker Lambda: a batch of SQS job messages, all records processed concurrently.

Returns a partial batch response (`batchItemFailures`, the event source mapping has
ReportBatchItemFailures): only the records that failed transiently are retried. Powertools'
AsyncBatchProcessor is not used because it runs its own event loop around each record handler, and the
aioboto3 clients must be opened and closed inside the loop that uses them (see docs/decisions.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagejobs.errors import TransientError
from imagejobs.messages import JobMessage, MalformedMessageError
from imagejobs.observability import logger, metrics, tracer
from worker.process_job import process_message
from worker.wiring import Invocation, open_invocation

InvocationFactory = Callable[[], AbstractAsyncContextManager[Invocation]]


async def handle_record(record: SQSRecord, invocation: Invocation) -> None:
    try:
        message = JobMessage.parse(record.body)
    except MalformedMessageError as error:
        logger.error("malformed message dropped", message_id=record.message_id, error=str(error))
        return
    receive_count = int(record.attributes.approximate_receive_count or 1)
    # Context-local keys: each record runs in its own task, so its log lines carry its own ids.
    logger.thread_safe_append_keys(job_id=message.job_id, batch_id=message.batch_id, message_id=record.message_id)
    try:
        await process_message(message, invocation.jobs)
    except TransientError as error:
        metrics.add_metric(name="TransientFailures", unit="Count", value=1)
        logger.warning("job will be retried", job_id=message.job_id, receive_count=receive_count, reason=str(error))
        await invocation.retries.retry_later(record.receipt_handle, receive_count)
        raise
    except Exception:
        logger.exception("job crashed", job_id=message.job_id, receive_count=receive_count)
        raise


async def handle_batch(event: dict[str, Any], open_context: InvocationFactory = open_invocation) -> dict[str, Any]:
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    async with open_context() as invocation:
        outcomes = await asyncio.gather(
            *(handle_record(record, invocation) for record in records), return_exceptions=True
        )
    failures = [
        {"itemIdentifier": record.message_id}
        for record, outcome in zip(records, outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # KeyboardInterrupt, SystemExit: never swallowed
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return asyncio.run(handle_batch(event))
