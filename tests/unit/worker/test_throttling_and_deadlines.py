"""Throttling is never failure, and one slow record cannot sink its batch."""

from __future__ import annotations

import json
import time
from typing import Any

from imagejobs.errors import ErrorCode
from imagejobs.messages import JobMessage
from imagejobs.model import Feature, JobStatus
from tests.unit.worker.conftest import Worker


def _failed(response: dict[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


async def test_a_throttled_job_is_retried_with_backoff_before_its_last_receive(worker: Worker) -> None:
    job = worker.job()
    worker.recognizer.throttle_next = 1
    record = worker.record(job, receive_count=3)

    response = await worker.run(record)

    assert _failed(response) == {record["messageId"]}
    assert worker.redelivery.retried == [(record["receiptHandle"], 3)]
    assert worker.status(job) is JobStatus.QUEUED and worker.redelivery.requeued == []


async def test_on_its_last_receive_a_throttled_job_goes_back_on_the_queue_not_to_the_dlq(worker: Worker) -> None:
    job = worker.job()
    worker.recognizer.throttle_next = 1
    sent_at = time.time() - 600
    record = worker.record(job, receive_count=worker.settings.max_receive_count, sent_at=sent_at)

    response = await worker.run(record)

    assert response == {"batchItemFailures": []}  # this message is done with; a fresh one carries the job
    [(message, delay)] = worker.redelivery.requeued
    assert message == JobMessage(job.job_id, job.batch_id, queued_at=int(sent_at))
    assert 0 < delay <= 900
    assert worker.status(job) is JobStatus.QUEUED


async def test_sustained_throttling_over_many_receive_cycles_still_ends_succeeded(worker: Worker) -> None:
    """Rekognition throttles this job for 20 deliveries (2.5 redrive cycles of 8), then the quota frees."""
    job = worker.job()
    worker.recognizer.throttle_next = 20
    body: dict[str, Any] = {"jobId": job.job_id, "batchId": job.batch_id}
    receive_count, deliveries = 1, 0
    while worker.status(job) is not JobStatus.SUCCEEDED:
        deliveries += 1
        assert deliveries < 40, "the job never finished"
        assert receive_count <= worker.settings.max_receive_count, "SQS would have dead-lettered it"
        response = await worker.run(worker.record(job, receive_count=receive_count, body=body))
        if worker.redelivery.requeued:  # a fresh message: its receive count starts again
            message, _ = worker.redelivery.requeued.pop()
            body, receive_count = message.to_json(), 1
        elif response["batchItemFailures"]:
            receive_count += 1

    assert deliveries == 21 and worker.store.jobs[job.job_id].error is None


async def test_a_job_throttled_past_the_maximum_age_ends_failed_throttled(worker: Worker) -> None:
    job = worker.job()
    worker.recognizer.throttle_next = 1
    hours = worker.settings.throttle_max_age_hours
    body = {"jobId": job.job_id, "batchId": job.batch_id, "queuedAt": int(time.time()) - hours * 3600 - 1}

    response = await worker.run(worker.record(job, receive_count=worker.settings.max_receive_count, body=body))

    assert response == {"batchItemFailures": []} and worker.redelivery.requeued == []
    failed = worker.store.jobs[job.job_id]
    assert failed.status is JobStatus.FAILED and failed.error is not None
    assert failed.error.code is ErrorCode.THROTTLED and "quota" in failed.error.message


async def test_a_record_still_running_at_the_deadline_is_released_and_the_rest_kept(worker: Worker) -> None:
    fast, slow = worker.job(seed=1), worker.job(seed=2, features=[Feature.FACES])
    worker.recognizer.hang_on = {Feature.FACES}  # the slow record's call never answers
    fast_record, slow_record = worker.record(fast), worker.record(slow)
    started = time.monotonic()
    # The function has 21.5 s left and keeps a 20 s margin: the records get 1.5 s.
    deadline = started + worker.settings.deadline_margin_seconds + 1.5

    def remaining_millis() -> int:
        return int((deadline - time.monotonic()) * 1000)

    response = await worker.run(fast_record, slow_record, remaining_millis=remaining_millis)
    elapsed = time.monotonic() - started

    assert worker.status(fast) is JobStatus.SUCCEEDED
    assert worker.status(slow) is JobStatus.QUEUED  # released: the next delivery claims it at once
    assert _failed(response) == {slow_record["messageId"]}
    assert (slow_record["receiptHandle"], 0) in worker.redelivery.retried  # comes back in seconds
    assert elapsed < 5, "the handler must return within its budget"


async def test_without_a_deadline_every_record_runs_to_the_end(worker: Worker) -> None:
    jobs = [worker.job(seed=seed) for seed in range(4)]

    response = await worker.run(*(worker.record(job) for job in jobs))

    assert response == {"batchItemFailures": []}
    assert {worker.status(job) for job in jobs} == {JobStatus.SUCCEEDED}
    assert json.dumps(response)
