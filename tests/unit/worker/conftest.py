"""The worker's handler and job processing with in-memory fakes behind every port: each branch of
processing a job (claims, releases, throttling, deadlines, cache trust) without a socket."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from imagejobs import keys
from imagejobs.model import AnalysisOptions, Feature, JobStatus
from imagejobs.records import JobRecord, iso
from imagejobs.settings import WorkerSettings
from tests.support.fakes import FakeJobStore, FakeObjectStore, FakeRedelivery
from tests.support.images import photo_like
from worker.adapters.rekognition import ImageUnreadableError, ThrottledError
from worker.handle_jobs import handle_batch
from worker.ports import Recognizer
from worker.process_job import JobContext
from worker.wiring import Invocation

ANSWERS: dict[Feature, dict[str, Any]] = {
    Feature.LABELS: {"Labels": [{"Name": "Cat", "Confidence": 97.5}], "LabelModelVersion": "3.0"},
    Feature.FACES: {"FaceDetails": []},
    Feature.TEXT: {"TextDetections": [], "TextModelVersion": "3.0"},
    Feature.MODERATION: {"ModerationLabels": [], "ModerationModelVersion": "7.0"},
}


@dataclass
class ScriptedRecognizer:
    """Answers like Rekognition; can throttle its next N calls, or never answer for some features."""

    throttle_next: int = 0
    hang_on: set[Feature] = field(default_factory=set)
    calls: list[Feature] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    refuse_s3: bool = False  # answer InvalidS3ObjectException, as for a bucket Rekognition may not read

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(feature)
        self.requests.append(request)
        if self.refuse_s3 and "S3Object" in request["Image"]:
            raise ImageUnreadableError(f"{feature.operation}: Unable to get object metadata from S3")
        if feature in self.hang_on:
            await asyncio.Event().wait()
        if self.throttle_next > 0:
            self.throttle_next -= 1
            raise ThrottledError(f"{feature.operation} throttled: ThrottlingException")
        return json.loads(json.dumps(ANSWERS[feature]))


def _conforms() -> None:
    recognizer: Recognizer = ScriptedRecognizer()
    del recognizer


@dataclass
class Worker:
    store: FakeJobStore = field(default_factory=FakeJobStore)
    objects: FakeObjectStore = field(default_factory=FakeObjectStore)
    redelivery: FakeRedelivery = field(default_factory=FakeRedelivery)
    recognizer: ScriptedRecognizer = field(default_factory=ScriptedRecognizer)
    settings: WorkerSettings = field(
        default_factory=lambda: WorkerSettings(table_name="jobs", bucket_name="images", queue_url="https://sqs/q")
    )

    def context(self) -> JobContext:
        return JobContext(self.settings, self.store, self.objects, self.recognizer)

    def job(
        self, seed: int = 0, features: list[Feature] | None = None, status: JobStatus = JobStatus.QUEUED
    ) -> JobRecord:
        job_id, batch_id = keys.new_job_id(), keys.new_batch_id()
        now = iso(datetime.now(UTC))
        record = JobRecord(
            job_id=job_id,
            batch_id=batch_id,
            seq=0,
            owner="alice",
            filename=f"{seed}.jpg",
            content_type="image/jpeg",
            declared_size=1,
            options=AnalysisOptions(features=features or [Feature.LABELS]),
            status=status,
            created_at=now,
            updated_at=now,
            expires_at=int(time.time()) + 86400,
        )
        self.store.jobs[job_id] = record
        self.objects.objects[keys.upload_key(batch_id, job_id)] = photo_like(seed=seed)
        return record

    @staticmethod
    def record(
        job: JobRecord, receive_count: int = 1, body: dict[str, Any] | None = None, sent_at: float | None = None
    ) -> dict[str, Any]:
        return {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": f"handle-{uuid.uuid4().hex[:8]}",
            "body": json.dumps(body or {"jobId": job.job_id, "batchId": job.batch_id}),
            "attributes": {
                "ApproximateReceiveCount": str(receive_count),
                "SentTimestamp": str(int((sent_at or time.time()) * 1000)),
            },
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }

    async def run(self, *records: dict[str, Any], remaining_millis: Any = None) -> dict[str, Any]:
        @asynccontextmanager
        async def invocation() -> AsyncIterator[Invocation]:
            yield Invocation(jobs=self.context(), redelivery=self.redelivery)

        return await handle_batch({"Records": list(records)}, invocation, remaining_millis)

    def status(self, job: JobRecord) -> JobStatus:
        return self.store.jobs[job.job_id].status


@pytest.fixture
def worker() -> Worker:
    return Worker()
