"""Records → the JSON the contract promises (design/API.md)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api.logic.services import Services
from imagejobs.model import JobStatus
from imagejobs.records import BatchRecord, JobRecord

# Seconds a client should wait before polling again, by status (the `Retry-After` header).
RETRY_AFTER = {JobStatus.AWAITING_UPLOAD: 5, JobStatus.QUEUED: 2, JobStatus.PROCESSING: 1}
BATCH_RETRY_AFTER = 2


def job_etag(job: JobRecord) -> str:
    """Changes whenever the job does: every write bumps `version`."""
    digest = hashlib.sha256(f"{job.job_id}:{job.version}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def job_view(services: Services, job: JobRecord, results: dict[str, Any] | None) -> dict[str, Any]:
    image = None
    if job.image is not None:
        image = {
            "width": job.image["width"],
            "height": job.image["height"],
            "url": services.objects.download_url(job.image["key"], services.settings.image_url_ttl_seconds),
        }
    return {
        "jobId": job.job_id,
        "batchId": job.batch_id,
        "filename": job.filename,
        "status": job.status.value,
        "createdAt": job.created_at,
        "updatedAt": job.updated_at,
        "options": job.options.to_json(),
        "error": job.error.to_json() if job.error else None,
        "image": image,
        "original": job.original,
        "results": results,
        "featureErrors": (
            {name: error.to_json() for name, error in job.feature_errors.items()} if job.feature_errors else None
        ),
        "attempts": job.attempts,
        "summary": job.summary,
    }


def load_results(services: Services, job: JobRecord) -> dict[str, Any] | None:
    if job.results_key is None:
        return None
    results: dict[str, Any] = services.objects.read_json(job.results_key)
    return results


def job_views(services: Services, jobs: list[JobRecord]) -> list[dict[str, Any]]:
    """Views for a page of jobs; their results documents are read from S3 in parallel."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: load_results(services, job), jobs))
    return [job_view(services, job, result) for job, result in zip(jobs, results, strict=True)]


def batch_view(batch: BatchRecord) -> dict[str, Any]:
    return {
        "batchId": batch.batch_id,
        "createdAt": batch.created_at,
        "options": batch.options.to_json(),
        "total": batch.total,
        "counts": {status.value: batch.counts.get(status, 0) for status in JobStatus},
        "done": batch.done,
    }
