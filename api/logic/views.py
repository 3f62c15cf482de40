"""Records → the representations of `api.models` (design/API.md)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api.logic.services import Services
from api.models.batches import Batch, BatchUsage
from api.models.jobs import Job, JobErrorBody, NormalizedImage, OriginalImage, Results, Summary
from imagejobs.model import JobStatus
from imagejobs.records import BatchRecord, JobError, JobRecord

# Seconds a client should wait before polling again, by status (the `Retry-After` header).
RETRY_AFTER = {JobStatus.AWAITING_UPLOAD: 5, JobStatus.QUEUED: 2, JobStatus.PROCESSING: 1}
BATCH_RETRY_AFTER = 2


def job_etag(job: JobRecord) -> str:
    """Changes whenever the job does: every write bumps `version`."""
    digest = hashlib.sha256(f"{job.job_id}:{job.version}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def _error(error: JobError | None) -> JobErrorBody | None:
    return JobErrorBody(code=error.code, message=error.message) if error else None


def is_expired(services: Services, job: JobRecord) -> bool:
    """Past the retention period: DynamoDB's TTL deletes the record lazily (hours to days later) and S3's
    lifecycle rule may already have deleted the stored results and images."""
    return job.expires_at <= services.clock().timestamp()


def job_view(services: Services, job: JobRecord, results: dict[str, Any] | None, expired: bool = False) -> Job:
    image = None
    if job.image is not None and not expired:
        image = NormalizedImage(
            width=job.image["width"],
            height=job.image["height"],
            url=services.objects.download_url(job.image["key"], services.settings.image_url_ttl_seconds),
        )
    return Job(
        job_id=job.job_id,
        batch_id=job.batch_id,
        filename=job.filename,
        status=job.status,
        created_at=job.created_at,
        updated_at=job.updated_at,
        options=job.options,
        error=_error(job.error),
        image=image,
        original=OriginalImage.model_validate(job.original) if job.original else None,
        results=Results.model_validate(results) if results is not None else None,
        feature_errors=(
            {name: JobErrorBody(code=e.code, message=e.message) for name, e in job.feature_errors.items()}
            if job.feature_errors
            else None
        ),
        attempts=job.attempts,
        summary=Summary.model_validate(job.summary) if job.summary is not None else None,
        results_expired=expired,
    )


def load_results(services: Services, job: JobRecord) -> tuple[dict[str, Any] | None, bool]:
    """The job's results document and whether its stored outputs have expired."""
    if is_expired(services, job):
        return None, job.results_key is not None or job.image is not None
    if job.results_key is None:
        return None, False
    results = services.objects.read_json(job.results_key)
    if results is None:  # the lifecycle rule got there before the record's TTL did
        return None, True
    return dict(results), False


def job_with_results_view(services: Services, job: JobRecord) -> Job:
    results, expired = load_results(services, job)
    return job_view(services, job, results, expired)


def job_views(services: Services, jobs: list[JobRecord]) -> list[Job]:
    """Views for a page of jobs; their results documents are read from S3 in parallel."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(jobs))) as pool:
        return list(pool.map(lambda job: job_with_results_view(services, job), jobs))


def batch_view(batch: BatchRecord, price_per_1000_calls: float) -> Batch:
    calls = batch.usage.calls
    return Batch(
        batch_id=batch.batch_id,
        created_at=batch.created_at,
        options=batch.options,
        total=batch.total,
        counts={status: batch.counts.get(status, 0) for status in JobStatus},
        done=batch.done,
        usage=BatchUsage(
            rekognition_calls=calls,
            rekognition_calls_saved=batch.usage.saved,
            estimated_cost_usd=round(calls * price_per_1000_calls / 1000, 4),
            price_per_1000_calls_usd=price_per_1000_calls,
        ),
        name=batch.name,
        tags=list(batch.tags),
        finished_at=batch.finished_at if batch.done else None,
    )
