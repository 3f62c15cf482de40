"""Entry point for the dead-letter queue: a message that kept failing ends its job as FAILED/INTERNAL,
so no accepted job is left QUEUED or PROCESSING forever. The message body is logged for operators."""

from __future__ import annotations

import asyncio
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagejobs.errors import ErrorCode
from imagejobs.messages import JobMessage, MalformedMessageError
from imagejobs.model import JobStatus
from imagejobs.observability import logger, metrics, tracer
from imagejobs.records import JobError, iso
from imagejobs.store import StaleRecordError
from worker.ports import JobStore
from worker.process_job import utc_now
from worker.wiring import open_invocation

INTERNAL_MESSAGE = "the image could not be processed after repeated attempts; it has been set aside"


async def fail_dead_letter(message: JobMessage, store: JobStore) -> bool:
    """Mark the job FAILED/INTERNAL unless it already finished. True when this call failed it."""
    for _ in range(3):
        job = await store.get_job(message.job_id)
        if job is None or job.status.is_terminal:
            return False
        failed = job.moved_to(JobStatus.FAILED, iso(utc_now()), error=JobError(ErrorCode.INTERNAL, INTERNAL_MESSAGE))
        try:
            await store.transition(job, failed)
        except StaleRecordError:
            continue
        return True
    return False


async def handle_dead_letters(event: dict[str, Any]) -> dict[str, Any]:
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    failures = []
    async with open_invocation() as invocation:
        for record in records:
            try:
                message = JobMessage.parse(record.body)
            except MalformedMessageError:
                logger.error("malformed dead letter dropped", message_id=record.message_id, body=record.body[:500])
                continue
            try:
                if await fail_dead_letter(message, invocation.jobs.store):
                    metrics.add_metric(name="JobsDeadLettered", unit="Count", value=1)
                    logger.error("job dead-lettered", job_id=message.job_id, batch_id=message.batch_id)
            except Exception:
                logger.exception("dead letter not handled", job_id=message.job_id)
                failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return asyncio.run(handle_dead_letters(event))
