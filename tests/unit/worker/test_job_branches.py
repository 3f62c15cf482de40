"""Every branch of processing one delivery, against fakes: nothing lost, nothing stuck, nothing doubled."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from imagejobs import keys
from imagejobs.errors import ErrorCode, TransientError
from imagejobs.messages import JobMessage
from imagejobs.model import Feature, JobStatus
from imagejobs.records import JobRecord, Usage, iso
from imagejobs.store import StaleRecordError
from tests.unit.worker.conftest import Worker
from worker.handle_dead_letters import fail_dead_letter
from worker.process_job import JobBusyError, process_message


def _failed(response: dict[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


async def test_a_job_is_analysed_and_finished(worker: Worker) -> None:
    job = worker.job()

    response = await worker.run(worker.record(job))

    assert response == {"batchItemFailures": []}
    done = worker.store.jobs[job.job_id]
    assert done.status is JobStatus.SUCCEEDED and done.summary == {"labels": ["Cat"]}
    assert json.loads(worker.objects.objects[keys.results_key(job.batch_id, job.job_id)])["labels"][0]["Name"] == "Cat"


async def test_a_second_delivery_of_a_finished_job_does_nothing(worker: Worker) -> None:
    job = worker.job()
    await worker.run(worker.record(job))
    writes = worker.store.transitions

    response = await worker.run(worker.record(job, receive_count=2))

    assert response == {"batchItemFailures": []} and worker.store.transitions == writes
    assert len(worker.recognizer.calls) == 1


async def test_claim_retries_exhausted_is_a_transient_retry(worker: Worker) -> None:
    job = worker.job()
    real = worker.store.transition

    async def always_changed(before: JobRecord, after: JobRecord) -> JobRecord:
        raise StaleRecordError("changed under us")

    worker.store.transition = always_changed  # type: ignore[method-assign]
    record = worker.record(job)

    response = await worker.run(record)

    assert _failed(response) == {record["messageId"]}
    assert worker.redelivery.retried == [(record["receiptHandle"], 1)]
    worker.store.transition = real  # type: ignore[method-assign]
    assert worker.status(job) is JobStatus.QUEUED


async def test_a_live_claim_held_by_another_delivery_is_retried_later(worker: Worker) -> None:
    job = worker.job()
    claimed = job.moved_to(JobStatus.PROCESSING, iso_now(), claim_token="other", lease_until=int(time.time()) + 60)
    worker.store.jobs[job.job_id] = claimed

    try:
        await process_message(JobMessage(job.job_id, job.batch_id), worker.context())
    except JobBusyError:
        pass
    else:
        raise AssertionError("a live claim must make the delivery retry")
    assert worker.status(job) is JobStatus.PROCESSING and worker.recognizer.calls == []


async def test_an_expired_claim_is_taken_over(worker: Worker) -> None:
    job = worker.job()
    crashed = job.moved_to(JobStatus.PROCESSING, iso_now(), claim_token="dead", lease_until=int(time.time()) - 1)
    worker.store.jobs[job.job_id] = crashed

    await worker.run(worker.record(job, receive_count=2))

    assert worker.status(job) is JobStatus.SUCCEEDED and worker.store.jobs[job.job_id].attempts == 1


async def test_losing_the_claim_before_the_commit_keeps_the_other_result(worker: Worker) -> None:
    job = worker.job()
    real = worker.store.transition

    async def taken_over_at_commit(before: JobRecord, after: JobRecord) -> JobRecord:
        if after.status.is_terminal:
            raise StaleRecordError("another delivery took the job over")
        return await real(before, after)

    worker.store.transition = taken_over_at_commit  # type: ignore[method-assign]
    record = worker.record(job)

    response = await worker.run(record)

    assert _failed(response) == {record["messageId"]}  # retried; the next delivery finds it done or claims it


async def test_a_release_that_fails_is_logged_and_the_lease_covers_it(worker: Worker) -> None:
    job = worker.job()
    real = worker.store.transition
    worker.recognizer.throttle_next = 1

    async def release_fails(before: JobRecord, after: JobRecord) -> JobRecord:
        if after.status is JobStatus.QUEUED:
            raise TransientError("DynamoDB TransactWriteItems: ThrottlingException")
        return await real(before, after)

    worker.store.transition = release_fails  # type: ignore[method-assign]
    record = worker.record(job)

    response = await worker.run(record)

    assert _failed(response) == {record["messageId"]}
    stuck = worker.store.jobs[job.job_id]
    assert stuck.status is JobStatus.PROCESSING and (stuck.lease_until or 0) > time.time()


async def test_a_message_for_an_unknown_job_or_a_malformed_body_is_dropped(worker: Worker) -> None:
    job = worker.job()
    unknown = worker.record(job, body={"jobId": keys.new_job_id(), "batchId": job.batch_id})
    malformed = worker.record(job, body={"nothing": "here"})

    response = await worker.run(unknown, malformed)

    assert response == {"batchItemFailures": []} and worker.recognizer.calls == []


async def test_a_missing_upload_fails_the_job_at_once(worker: Worker) -> None:
    job = worker.job()
    del worker.objects.objects[keys.upload_key(job.batch_id, job.job_id)]

    await worker.run(worker.record(job))

    failed = worker.store.jobs[job.job_id]
    assert failed.status is JobStatus.FAILED and failed.error is not None
    assert failed.error.code is ErrorCode.UPLOAD_MISSING


async def test_a_dead_letter_fails_its_job_unless_it_finished(worker: Worker) -> None:
    stuck, finished = worker.job(seed=1), worker.job(seed=2)
    await worker.run(worker.record(finished))

    assert await fail_dead_letter(JobMessage(stuck.job_id, stuck.batch_id), worker.store) is True
    assert await fail_dead_letter(JobMessage(finished.job_id, finished.batch_id), worker.store) is False
    error = worker.store.jobs[stuck.job_id].error
    assert error is not None and error.code is ErrorCode.INTERNAL
    assert worker.status(finished) is JobStatus.SUCCEEDED


async def test_a_malformed_cached_answer_is_discarded_and_recomputed(worker: Worker) -> None:
    first = worker.job(seed=5)
    await worker.run(worker.record(first))
    cache_keys = [key for key in worker.objects.objects if "/cache/" in key]
    assert len(cache_keys) == 1
    tampered = {"version": 1, "answers": {"DetectLabels": {"Labels": [{"Name": 12, "Evil": True}]}}}
    worker.objects.objects[cache_keys[0]] = json.dumps(tampered).encode()
    again = replace(worker.job(seed=5), options=first.options)  # the same image: the cache would answer
    worker.store.jobs[again.job_id] = again

    await worker.run(worker.record(again))

    assert worker.status(again) is JobStatus.SUCCEEDED
    assert len(worker.recognizer.calls) == 2  # paid again rather than trusting the bad entry
    answers = json.loads(worker.objects.objects[cache_keys[0]])["answers"]
    assert answers["DetectLabels"]["Labels"][0]["Name"] == "Cat"


async def test_a_valid_cached_answer_is_reused(worker: Worker) -> None:
    first, second = worker.job(seed=6, features=[Feature.LABELS, Feature.TEXT]), worker.job(seed=6)
    worker.store.jobs[second.job_id] = replace(second, options=first.options)

    await worker.run(worker.record(first))
    await worker.run(worker.record(second))

    assert worker.status(first) is JobStatus.SUCCEEDED and worker.status(second) is JobStatus.SUCCEEDED
    assert worker.recognizer.calls == [Feature.LABELS, Feature.TEXT]  # the second job paid nothing


def iso_now() -> str:
    return iso(datetime.now(UTC))


async def test_a_finished_job_records_the_calls_it_paid_for_and_those_it_reused(worker: Worker) -> None:
    first = worker.job(seed=7, features=[Feature.LABELS, Feature.TEXT])
    await worker.run(worker.record(first))
    again = replace(worker.job(seed=7), options=first.options)  # the same image and options
    worker.store.jobs[again.job_id] = again
    await worker.run(worker.record(again))

    assert worker.store.jobs[first.job_id].usage == Usage(calls=2, saved=0)
    assert worker.store.jobs[again.job_id].usage == Usage(calls=0, saved=2)


async def test_a_job_makes_at_most_eight_store_requests_and_rekognition_reads_the_stored_image(
    worker: Worker,
) -> None:
    """The documented count (docs/operations.md): read the job, claim it, GET the upload (its size from the
    same answer), PUT the normalized image, GET and PUT the one cached-answer document, PUT results.json,
    commit. A repeat of the same image skips the cache PUT."""
    first = worker.job(seed=8, features=[Feature.LABELS, Feature.FACES, Feature.TEXT, Feature.MODERATION])

    await worker.run(worker.record(first))

    requests = worker.store.requests + worker.objects.requests
    assert len(requests) == 8, requests
    assert worker.store.requests == ["GetItem", "TransactWriteItems", "TransactWriteItems"]
    assert worker.objects.requests == ["GET", "PUT", "GET", "PUT", "PUT"]
    assert len(worker.recognizer.calls) == 4
    for request in worker.recognizer.requests:
        assert set(request["Image"]) == {"S3Object"}  # never the image's bytes
        assert request["Image"]["S3Object"]["Name"].endswith("/normalized.jpg")

    worker.store.requests.clear()
    worker.objects.requests.clear()
    again = replace(worker.job(seed=8), options=first.options)
    worker.store.jobs[again.job_id] = again
    await worker.run(worker.record(again))
    assert len(worker.store.requests + worker.objects.requests) == 7


async def test_when_rekognition_cannot_read_the_stored_image_the_call_carries_its_bytes(worker: Worker) -> None:
    job = worker.job(seed=9)
    worker.recognizer.refuse_s3 = True

    await worker.run(worker.record(job))

    assert worker.status(job) is JobStatus.SUCCEEDED
    assert [set(r["Image"]) for r in worker.recognizer.requests] == [{"S3Object"}, {"Bytes"}]
