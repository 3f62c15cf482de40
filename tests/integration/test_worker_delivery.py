"""At-least-once delivery, crashes and throttling, driven at the worker handler against the embedded
stack's emulator (the poller is bypassed so each delivery is exactly the one the test makes)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from imagejobs.model import Feature
from local_stack.recognizer import RecognizerConfig
from tests.support.api import ApiClient
from tests.support.images import photo_like
from worker.handle_jobs import handle_batch
from worker.wiring import Invocation, open_invocation


class SimulatedCrash(BaseException):
    """Stands for the process dying (timeout, out of memory): nothing after it runs."""


class CrashBeforeResults:
    """Object store wrapper that 'dies' when the results document is about to be written, that is after
    Rekognition answered and the raw responses were stored."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def write_json(self, key: str, document: Any) -> None:
        if key.endswith("/results.json"):
            raise SimulatedCrash
        await self._inner.write_json(key, document)


class CountingRecognizer:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[Feature] = []

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(feature)
        await asyncio.sleep(0.05)  # long enough for a concurrent duplicate to arrive mid-flight
        result: dict[str, Any] = await self.inner.detect(feature, request)
        return result


def invocation_with(
    clock_offset: timedelta = timedelta(0),
    crash: bool = False,
    counter: list[CountingRecognizer] | None = None,
):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def factory() -> AsyncIterator[Invocation]:
        async with open_invocation() as real:
            jobs = real.jobs
            recognizer = CountingRecognizer(jobs.recognizer)
            if counter is not None:
                counter.append(recognizer)
            jobs = replace(
                jobs,
                clock=lambda: datetime.now(UTC) + clock_offset,
                objects=CrashBeforeResults(jobs.objects) if crash else jobs.objects,
                recognizer=recognizer,
            )
            yield Invocation(jobs=jobs, redelivery=real.redelivery)

    return factory


def uploaded_job(api: ApiClient, features: list[str] | None = None) -> tuple[str, str]:
    """A job whose image is uploaded but not submitted, so no poller delivers it behind the test's back."""
    # A seed no other test uses: an image analysed before would be answered from the owner's cache.
    data = photo_like(seed=10**9 + uuid.uuid4().int % 10**9)
    created = api.create_batch([("x.jpg", data)], features=features or ["LABELS", "FACES"])
    slot = created["jobs"][0]
    api.upload(slot, data)
    return created["batchId"], slot["jobId"]


def sqs_event(batch_id: str, job_id: str, copies: int = 1, receive_count: int = 1) -> dict[str, Any]:
    body = json.dumps({"jobId": job_id, "batchId": batch_id})
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "not-a-real-handle",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(receive_count)},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
            }
            for _ in range(copies)
        ]
    }


def test_same_message_twice_in_sequence_gives_one_result(api: ApiClient) -> None:
    batch_id, job_id = uploaded_job(api)
    counters: list[CountingRecognizer] = []

    first = asyncio.run(handle_batch(sqs_event(batch_id, job_id), invocation_with(counter=counters)))
    second = asyncio.run(handle_batch(sqs_event(batch_id, job_id), invocation_with(counter=counters)))

    assert first == second == {"batchItemFailures": []}
    assert (
        set(counters[0].calls) == {Feature.LABELS, Feature.FACES}
        and len(counters[0].calls) == 2
        and counters[1].calls == []
    )
    job = api.job(job_id)
    assert job["status"] == "SUCCEEDED" and job["attempts"] == 1
    assert api.batch(batch_id)["counts"]["SUCCEEDED"] == 1 and sum(api.batch(batch_id)["counts"].values()) == 1


def test_same_message_twice_concurrently_gives_one_result(api: ApiClient) -> None:
    batch_id, job_id = uploaded_job(api)
    counters: list[CountingRecognizer] = []

    answer = asyncio.run(handle_batch(sqs_event(batch_id, job_id, copies=2), invocation_with(counter=counters)))

    # One copy did the work; the other found the job claimed and asked to be retried later.
    assert len(answer["batchItemFailures"]) == 1
    assert len(counters[0].calls) == 2  # LABELS + FACES once, not twice
    assert api.job(job_id)["status"] == "SUCCEEDED"
    # The retried copy then finds the job finished and is consumed without effect.
    assert asyncio.run(handle_batch(sqs_event(batch_id, job_id), invocation_with())) == {"batchItemFailures": []}
    counts = api.batch(batch_id)["counts"]
    assert counts["SUCCEEDED"] == 1 and sum(counts.values()) == 1


def test_crash_after_rekognition_answered_is_completed_by_the_redelivery(api: ApiClient) -> None:
    batch_id, job_id = uploaded_job(api)

    with pytest.raises(SimulatedCrash):
        asyncio.run(handle_batch(sqs_event(batch_id, job_id), invocation_with(crash=True)))
    assert api.job(job_id)["status"] == "PROCESSING"

    # A redelivery while the crashed claim's lease still runs is told to come back later…
    early = asyncio.run(handle_batch(sqs_event(batch_id, job_id, receive_count=2), invocation_with()))
    assert len(early["batchItemFailures"]) == 1
    # …and once the lease has expired, it takes the job over and completes it.
    counters: list[CountingRecognizer] = []
    late = asyncio.run(
        handle_batch(
            sqs_event(batch_id, job_id, receive_count=3),
            invocation_with(clock_offset=timedelta(hours=1), counter=counters),
        )
    )

    assert late == {"batchItemFailures": []}
    assert counters[0].calls == []  # the answers stored before the crash are reused, not paid for twice
    job = api.job(job_id)
    assert job["status"] == "SUCCEEDED" and job["attempts"] == 2
    assert set(job["results"]) == {"labels", "faces"}
    counts = api.batch(batch_id)["counts"]
    assert counts["SUCCEEDED"] == 1 and counts["PROCESSING"] == 0 and sum(counts.values()) == 1


def test_dead_lettered_job_ends_failed_internal(api: ApiClient) -> None:
    from worker.handle_dead_letters import handle_dead_letters

    batch_id, job_id = uploaded_job(api)
    with pytest.raises(SimulatedCrash):
        asyncio.run(handle_batch(sqs_event(batch_id, job_id), invocation_with(crash=True)))

    asyncio.run(handle_dead_letters(sqs_event(batch_id, job_id)))

    job = api.job(job_id)
    assert job["status"] == "FAILED" and job["error"]["code"] == "INTERNAL"
    counts = api.batch(batch_id)["counts"]
    assert counts["FAILED"] == 1 and counts["PROCESSING"] == 0
    # A late redelivery of the original message cannot resurrect it.
    asyncio.run(handle_batch(sqs_event(batch_id, job_id), invocation_with(clock_offset=timedelta(hours=1))))
    assert api.job(job_id)["status"] == "FAILED"


def test_malformed_message_is_consumed_not_retried(api: ApiClient) -> None:
    event = sqs_event("b", "j")
    event["Records"][0]["body"] = "not json"

    assert asyncio.run(handle_batch(event, invocation_with())) == {"batchItemFailures": []}


def test_a_message_that_keeps_crashing_reaches_the_dlq_and_its_job_ends_failed(stack: Any, api: ApiClient) -> None:
    """Through real queues: a worker that crashes on every attempt; after maxReceiveCount receives SQS
    moves the message to the DLQ, whose handler (the stack's DLQ poller) marks the job FAILED/INTERNAL."""
    from local_stack.poller import InProcessInvoker, Poller

    sqs = stack.client("sqs")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=stack.resources.dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    crashy = sqs.create_queue(
        QueueName=f"crashy-{uuid.uuid4().hex[:8]}",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    invocations: list[int] = []

    def always_crashes(event: dict[str, Any], context: Any) -> dict[str, Any]:
        invocations.append(len(event["Records"]))
        raise RuntimeError("worker crashed")

    batch_id, job_id = uploaded_job(api)
    poller = Poller(
        sqs=sqs,
        queue_url=crashy,
        invoker=InProcessInvoker(always_crashes),
        maximum_concurrency=1,
        batching_window_seconds=0,
    ).start()
    try:
        sqs.send_message(QueueUrl=crashy, MessageBody=json.dumps({"jobId": job_id, "batchId": batch_id}))
        job = api.wait_job(job_id, timeout=60)
    finally:
        poller.stop()

    assert sum(invocations) >= 2  # received maxReceiveCount times before the redrive
    assert job["status"] == "FAILED" and job["error"]["code"] == "INTERNAL"
    assert api.batch(batch_id)["counts"]["FAILED"] == 1


def test_throttling_recognizer_slows_jobs_down_but_fails_none() -> None:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from local_stack import names
    from local_stack.embedded import EmbeddedStack, StackOptions

    # A stack of its own, whose local Rekognition allows 2 calls per second per API (its worker is a
    # process of its own: only its stack's settings reach it). It leaves this process's settings alone.
    throttled = EmbeddedStack(
        StackOptions(
            api_port=0,
            aws_port=0,
            recognizer_port=0,
            socket_port=0,
            recognizer=RecognizerConfig(backend="stub", tps=2),
            export_environment=False,
        )
    ).start()
    try:
        # The quota is real: a burst without retries is refused with Rekognition's throttling error.
        client = boto3.client(
            "rekognition",
            endpoint_url=throttled.recognizer_url,
            config=Config(retries={"total_max_attempts": 1}),
            region_name=names.REGION,
            aws_access_key_id=names.LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=names.LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        image = {"Bytes": photo_like(seed=99)}
        with pytest.raises(ClientError) as refused:
            for _ in range(10):
                client.detect_labels(Image=image)
        assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"

        api = ApiClient(throttled.api_url, token="alice")
        _, jobs = api.analyze([(f"t{i}.jpg", photo_like(seed=200 + i)) for i in range(12)], features=["LABELS", "TEXT"])
    finally:
        throttled.stop()

    assert [j["status"] for j in jobs] == ["SUCCEEDED"] * 12


def test_the_same_image_again_reuses_stored_answers_instead_of_calling_rekognition(api: ApiClient) -> None:
    data = photo_like(seed=4242)
    counters: list[CountingRecognizer] = []
    for _ in range(2):
        created = api.create_batch([("same.jpg", data)], features=["LABELS", "TEXT"])
        slot = created["jobs"][0]
        api.upload(slot, data)
        asyncio.run(handle_batch(sqs_event(created["batchId"], slot["jobId"]), invocation_with(counter=counters)))
        assert api.job(slot["jobId"])["status"] == "SUCCEEDED"

    assert len(counters[0].calls) == 2 and counters[1].calls == []
    # Another caller's identical upload is not served from alice's answers.
    bob = ApiClient(api.base_url, token="bob")
    created = bob.create_batch([("same.jpg", data)], features=["LABELS", "TEXT"])
    bob.upload(created["jobs"][0], data)
    asyncio.run(
        handle_batch(sqs_event(created["batchId"], created["jobs"][0]["jobId"]), invocation_with(counter=counters))
    )
    assert len(counters[2].calls) == 2
