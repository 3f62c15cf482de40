"""Entry point of the worker Lambda: a batch of SQS job messages, all records processed concurrently.

Returns a partial batch response (`batchItemFailures`, the event source mapping has
ReportBatchItemFailures): only the records that failed transiently are retried. Powertools'
AsyncBatchProcessor is not used because it runs its own event loop around each record handler, and the
aioboto3 clients must be opened and closed inside the loop that uses them (see docs/decisions.md).

Two rules keep one record from hurting the others of its batch: records still running near the function's
timeout are cancelled, their jobs released and their messages retried soon (the finished ones are kept);
and a job Rekognition keeps throttling is never sent to the dead-letter queue for it: on its last allowed
receive it goes back on the queue with a fresh message, until `throttle_max_age_hours`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from imagejobs.errors import TransientError
from imagejobs.messages import JobMessage, MalformedMessageError
from imagejobs.observability import logger, metrics, tracer
from worker.adapters.queue import backoff_seconds
from worker.adapters.rekognition import ThrottledError
from worker.process_job import give_up_throttled, process_message
from worker.runtime import current_environment, in_lambda_init
from worker.sqs_records import SqsRecord, records_of
from worker.wiring import Invocation, open_invocation

if TYPE_CHECKING:  # the typing module of Powertools' utilities costs ~60 ms of a cold start for one name
    from aws_lambda_powertools.utilities.typing import LambdaContext

InvocationFactory = Callable[[], AbstractAsyncContextManager[Invocation]]
RemainingMillis = Callable[[], int]
# A record released at the deadline comes back this soon (not after the queue's 12-minute visibility timeout).
RELEASED_RETRY_SECONDS = 5


def _queued_at(record: SqsRecord, message: JobMessage) -> int:
    if message.queued_at is not None:
        return message.queued_at
    sent = record.sent_timestamp_ms
    return sent // 1000 if sent else int(time.time())


async def _on_throttled(record: SqsRecord, message: JobMessage, receive_count: int, invocation: Invocation) -> None:
    """Throttling is never failure. Before the last allowed receive the message is retried with backoff, as
    any transient error; on the last one the job goes back on the queue with a fresh message (delayed), so
    the dead-letter queue never sees it, until it has waited `throttle_max_age_hours`: then FAILED/THROTTLED."""
    settings = invocation.jobs.settings
    if receive_count < settings.max_receive_count:
        await invocation.redelivery.retry_later(record.receipt_handle, receive_count)
        raise TransientError("throttled; retried later")
    queued_at = _queued_at(record, message)
    waited = int(time.time()) - queued_at
    if waited >= settings.throttle_max_age_hours * 3600:
        if await give_up_throttled(message, invocation.jobs, waited):
            return
        raise TransientError("throttled job changed meanwhile; retried later")
    await invocation.redelivery.requeue(replace(message, queued_at=queued_at), backoff_seconds(receive_count))
    metrics.add_metric(name="ThrottledJobsRequeued", unit="Count", value=1)
    logger.warning("throttled job put back on the queue", job_id=message.job_id, waited_seconds=waited)


async def handle_record(record: SqsRecord, invocation: Invocation) -> None:
    try:
        message = JobMessage.parse(record.body)
    except MalformedMessageError as error:
        logger.error("malformed message dropped", message_id=record.message_id, error=str(error))
        return
    receive_count = record.receive_count
    # Context-local keys: each record runs in its own task, so its log lines carry its own ids.
    logger.thread_safe_append_keys(job_id=message.job_id, batch_id=message.batch_id, message_id=record.message_id)
    try:
        await process_message(message, invocation.jobs)
    except ThrottledError:  # counted per call in RekognitionThrottles where it happened
        logger.warning("job throttled", job_id=message.job_id, receive_count=receive_count)
        await _on_throttled(record, message, receive_count, invocation)
    except TransientError as error:
        metrics.add_metric(name="TransientFailures", unit="Count", value=1)
        logger.warning("job will be retried", job_id=message.job_id, receive_count=receive_count, reason=str(error))
        await invocation.redelivery.retry_later(record.receipt_handle, receive_count)
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("job crashed", job_id=message.job_id, receive_count=receive_count)
        raise


def _budget(remaining_millis: RemainingMillis | None, margin_seconds: int) -> float | None:
    if remaining_millis is None:
        return None
    return max(1.0, remaining_millis() / 1000 - margin_seconds)


async def _release_at_deadline(
    pending: set[asyncio.Task[None]], records: dict[asyncio.Task[None], SqsRecord], invocation: Invocation
) -> None:
    for task in pending:
        task.cancel()
    await asyncio.wait(pending)  # each record's own handler releases its job on the way out
    metrics.add_metric(name="RecordsReleasedAtDeadline", unit="Count", value=len(pending))
    logger.warning("records released at the deadline", count=len(pending))
    await asyncio.gather(
        *(invocation.redelivery.retry_later(records[task].receipt_handle, 0) for task in pending),
    )


async def handle_batch(
    event: dict[str, Any],
    open_context: InvocationFactory = open_invocation,
    remaining_millis: RemainingMillis | None = None,
) -> dict[str, Any]:
    records = records_of(event)
    async with open_context() as invocation:
        tasks = {asyncio.create_task(handle_record(record, invocation)): record for record in records}
        budget = _budget(remaining_millis, invocation.jobs.settings.deadline_margin_seconds)
        pending: set[asyncio.Task[None]] = set()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=budget)
        if pending:
            await _release_at_deadline(pending, tasks, invocation)
    failures = []
    for task, record in tasks.items():
        if task.cancelled():
            failures.append({"itemIdentifier": record.message_id})
            continue
        error = task.exception()
        if error is not None and not isinstance(error, Exception):
            raise error  # KeyboardInterrupt, SystemExit: never swallowed
        if error is not None:
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    environment = current_environment()
    return environment.run(handle_batch(event, environment.invocation, context.get_remaining_time_in_millis))


if in_lambda_init():
    current_environment().prepare()
