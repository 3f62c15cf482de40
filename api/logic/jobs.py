"""Single jobs: read one (with its results), and the one-call flow for a small image."""

from __future__ import annotations

from api.errors import NotFoundError, PayloadTooLargeError
from api.logic.batches import create_batch, submit
from api.logic.services import Services
from api.logic.views import job_view, job_with_results_view
from api.models.jobs import ImageAccepted, Job
from api.models.requests import ImageSlot
from imagejobs import keys
from imagejobs.errors import ErrorCode
from imagejobs.model import AnalysisOptions
from imagejobs.records import JobRecord


def owned_job(services: Services, owner: str, job_id: str) -> JobRecord:
    job = services.store.get_job(job_id) if keys.is_valid_id(job_id) else None
    if job is None or job.owner != owner:
        raise NotFoundError(f"no job {job_id[:80]!r}")
    return job


def get_job(services: Services, owner: str, job_id: str) -> tuple[JobRecord, Job]:
    """The record (for its ETag) and the representation, with its results when it has any."""
    job = owned_job(services, owner, job_id)
    return job, job_with_results_view(services, job)


def analyze_single_image(
    services: Services,
    owner: str,
    body: bytes,
    content_type: str,
    filename: str,
    options: AnalysisOptions,
    callback_url: str | None = None,
) -> tuple[JobRecord, ImageAccepted]:
    """Steps 1–3 of the flow in one call, for images small enough to pass through API Gateway."""
    limit = services.settings.max_inline_upload_bytes
    if len(body) > limit:
        raise PayloadTooLargeError(
            f"the body is {len(body)} bytes; POST /images takes up to {limit}. "
            "Use the batch flow (POST /batches, then upload to the presigned form) for larger images.",
            code=ErrorCode.FILE_TOO_LARGE.value,
        )
    slot = ImageSlot(filename=filename, content_type=content_type, size=len(body))
    created = create_batch(services, owner, [slot], options, callback_url=callback_url)
    job_id = created.jobs[0].job_id
    services.objects.put(keys.upload_key(created.batch_id, job_id), body, content_type)
    submit(services, owner, created.batch_id, [job_id])
    job = owned_job(services, owner, job_id)
    view = job_view(services, job, None)
    return job, ImageAccepted(**view.model_dump(), callback=created.callback)
