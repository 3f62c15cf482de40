"""The worker's normalizer port as process_message uses it: whatever the normalizer does, the job ends with
a typed outcome at once (never a crash that is retried until the dead-letter queue)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from imagejobs import keys
from imagejobs.errors import ErrorCode, TransientError
from imagejobs.messages import JobMessage
from imagejobs.model import AnalysisOptions, Feature, JobStatus
from imagejobs.records import JobRecord, iso
from imagejobs.settings import WorkerSettings
from tests.fixtures.corpus import sample
from tests.support.fakes import FakeJobStore, FakeObjectStore
from worker.adapters.rekognition import Recognizer
from worker.normalize import NormalizedImage, NormalizeLimits
from worker.normalize.sandbox.parent import NormalizerUnavailableError
from worker.process_job import JobContext, Normalizer, process_message


class FakeRecognizer:
    """Never reached in these tests: the job ends while normalizing."""

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("Rekognition called for an image that was not normalized")


def _context(normalizer: Normalizer) -> tuple[JobContext, JobRecord]:
    now = iso(datetime.now(UTC))
    job = JobRecord(
        job_id=keys.new_job_id(), batch_id=keys.new_batch_id(), seq=0, owner="alice", filename="a.gif",
        content_type="image/gif", declared_size=1, options=AnalysisOptions(features=[Feature.LABELS]),
        status=JobStatus.QUEUED, created_at=now, updated_at=now, expires_at=2_000_000_000,
    )  # fmt: skip
    store = FakeJobStore(jobs={job.job_id: job})
    objects = FakeObjectStore(objects={keys.upload_key(job.batch_id, job.job_id): sample("gif_comment_70k")})
    settings = WorkerSettings(table_name="jobs", bucket_name="bucket", queue_url="https://queue.example")
    recognizer: Recognizer = FakeRecognizer()
    return JobContext(
        settings=settings, store=store, objects=objects, recognizer=recognizer, normalizer=normalizer
    ), job


def _buggy_normalizer(data: bytes, limits: NormalizeLimits) -> NormalizedImage:
    raise ValueError("Comment is too long")  # what Pillow's JPEG encoder raised for a 70 KB GIF comment


async def test_a_bug_in_the_normalizer_ends_the_job_internal_at_once():
    ctx, job = _context(_buggy_normalizer)

    status = await process_message(JobMessage(job_id=job.job_id, batch_id=job.batch_id), ctx)

    assert status is JobStatus.FAILED
    finished = await ctx.store.get_job(job.job_id)
    assert finished is not None and finished.error is not None
    assert finished.error.code is ErrorCode.INTERNAL


async def test_a_normalizer_that_cannot_run_leaves_the_job_for_a_retry():
    def unavailable(data: bytes, limits: NormalizeLimits) -> NormalizedImage:
        raise NormalizerUnavailableError("no child could start")

    ctx, job = _context(unavailable)

    with pytest.raises(TransientError):
        await process_message(JobMessage(job_id=job.job_id, batch_id=job.batch_id), ctx)

    released = await ctx.store.get_job(job.job_id)
    assert released is not None and released.status is JobStatus.QUEUED
