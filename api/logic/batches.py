"""Batches: create with upload slots, add slots, submit for analysis, close, read progress and jobs."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from api.errors import ConflictError, NotFoundError, PayloadTooLargeError, QuotaExceededError
from api.logic import pages, quotas, webhooks
from api.logic.services import Services
from api.logic.views import batch_view, job_views
from api.models.batches import (
    Batch,
    BatchCreated,
    BatchPage,
    CloseOutcome,
    ImagesAdded,
    RejectedJob,
    SubmitOutcome,
    UploadForm,
    UploadSlot,
)
from api.models.jobs import JobPage
from api.models.requests import ImageSlot
from imagejobs import keys
from imagejobs.errors import ErrorCode, TransientError
from imagejobs.messages import JobMessage
from imagejobs.model import AnalysisOptions, JobStatus
from imagejobs.observability import logger
from imagejobs.records import BatchRecord, JobError, JobRecord, iso
from imagejobs.store import StaleRecordError

REUSED_KEY = "this Idempotency-Key was used for a different request; use a new key"


def owned_batch(services: Services, owner: str, batch_id: str) -> BatchRecord:
    """The caller's batch; one being deleted is already gone for the API (404)."""
    batch = services.store.get_batch(batch_id) if keys.is_valid_id(batch_id) else None
    if batch is None or batch.owner != owner or batch.deleting_since is not None:
        raise NotFoundError(f"no batch {batch_id[:80]!r}")
    return batch


def _reserve_seq(services: Services, batch: BatchRecord, count: int) -> int:
    try:
        return services.store.reserve_seq(batch.batch_id, count)
    except StaleRecordError as error:  # deleted since we read it
        raise NotFoundError(f"no batch {batch.batch_id!r}") from error


def _check_sizes(services: Services, images: list[ImageSlot]) -> None:
    limit = services.settings.max_upload_bytes
    too_large = [image.filename for image in images if image.size > limit]
    if too_large:
        raise PayloadTooLargeError(
            f"{len(too_large)} image(s) exceed the upload limit of {limit} bytes, first: {too_large[0][:200]!r}"
        )


def request_digest(*parts: object) -> str:
    """Identifies a create/add request, so a replay under the same Idempotency-Key can be told from reuse."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _slots_digest(images: list[ImageSlot]) -> list[tuple[str, str, int]]:
    return [(image.filename, image.content_type, image.size) for image in images]


def _new_jobs(
    services: Services,
    batch: BatchRecord,
    images: list[ImageSlot],
    first_seq: int,
    job_ids: list[str],
    digest: str | None,
) -> list[JobRecord]:
    now = iso(services.clock())
    return [
        JobRecord(
            job_id=job_id,
            batch_id=batch.batch_id,
            seq=first_seq + index,
            owner=batch.owner,
            filename=image.filename,
            content_type=image.content_type,
            declared_size=image.size,
            options=batch.options,
            status=JobStatus.AWAITING_UPLOAD,
            created_at=now,
            updated_at=now,
            expires_at=batch.expires_at,
            request_digest=digest,
        )
        for index, (image, job_id) in enumerate(zip(images, job_ids, strict=True))
    ]


def _job_ids(count: int, scope: tuple[str, ...] | None) -> list[str]:
    """Random ids, or (for a request with an Idempotency-Key) ids derived from `scope` and the position,
    which a repeated request derives again."""
    if scope is None:
        return [keys.new_job_id() for _ in range(count)]
    return [keys.replayable_id("j", *scope, str(index)) for index in range(count)]


def _replay(
    services: Services, batch: BatchRecord, images: list[ImageSlot], job_ids: list[str], digest: str
) -> list[JobRecord] | None:
    """The jobs an earlier request with the same Idempotency-Key made (completing any it did not get to),
    or None when there was no such request. Another request under the key is a 409, never an extension."""
    found = {job.job_id: job for job in services.store.get_jobs(job_ids)}
    if not found:
        return None
    if any(job.request_digest != digest for job in found.values()):
        raise ConflictError(REUSED_KEY)
    missing = [(job_id, image) for job_id, image in zip(job_ids, images, strict=True) if job_id not in found]
    if missing:  # the earlier request stopped between two transactions
        first_seq = _reserve_seq(services, batch, len(missing))
        made = _new_jobs(services, batch, [i for _, i in missing], first_seq, [j for j, _ in missing], digest)
        try:
            services.store.add_jobs(batch.batch_id, made)
        except StaleRecordError as error:  # a concurrent repeat is adding them right now
            raise TransientError("the same request is being processed; retry shortly") from error
        found.update({job.job_id: job for job in made})
    return [found[job_id] for job_id in job_ids]


def _slots(services: Services, jobs: list[JobRecord]) -> list[UploadSlot]:
    ttl = services.settings.upload_url_ttl_seconds
    expires_at = iso(services.clock() + timedelta(seconds=ttl))
    slots = []
    for job in jobs:
        form = services.objects.upload_form(
            keys.upload_key(job.batch_id, job.job_id), job.content_type, services.settings.max_upload_bytes, ttl
        )
        slots.append(
            UploadSlot(
                job_id=job.job_id,
                filename=job.filename,
                upload=UploadForm(url=form.url, fields=form.fields, expires_at=expires_at),
            )
        )
    return slots


def create_batch(
    services: Services,
    owner: str,
    images: list[ImageSlot],
    options: AnalysisOptions,
    idempotency_key: str | None = None,
    name: str | None = None,
    tags: tuple[str, ...] = (),
    callback_url: str | None = None,
) -> BatchCreated:
    """A batch with one upload slot per image. With an Idempotency-Key, repeating the request (say after
    a lost answer) returns the same batch and jobs with fresh upload forms instead of new ones. A callback
    URL names (or makes) the caller's webhook endpoint for it; the batch's events go there."""
    _check_sizes(services, images)
    if (full := quotas.batch_full(services, 0, len(images))) is not None:
        raise full
    callback = webhooks.callback_endpoint(services, owner, callback_url) if callback_url else None
    now = services.clock()
    tags = tuple(sorted(set(tags)))
    labels = [name, list(tags)] if name is not None or tags else []  # no change to the digests of older requests
    if callback_url:
        labels.append(callback_url)
    digest = request_digest("create", owner, idempotency_key, _slots_digest(images), options.to_json(), *labels)
    batch = BatchRecord(
        batch_id=keys.replayable_id("b", owner, idempotency_key) if idempotency_key else keys.new_batch_id(),
        owner=owner,
        created_at=iso(now),
        options=options,
        expires_at=int((now + timedelta(days=services.settings.retention_days)).timestamp()),
        next_seq=len(images),
        request_digest=digest if idempotency_key else None,
        name=name,
        tags=tags,
        callback_endpoint_id=callback.endpoint_id if callback else None,
    )
    job_ids = _job_ids(len(images), (batch.batch_id, idempotency_key) if idempotency_key else None)
    existing = services.store.get_batch(batch.batch_id) if idempotency_key else None
    if existing is None:
        quotas.reserve_images(services, owner, len(images))
        jobs = _new_jobs(services, batch, images, 0, job_ids, batch.request_digest)
        try:
            services.store.create_batch(batch, jobs)
        except StaleRecordError:  # the same key, concurrently: the other request made it
            existing = services.store.get_batch(batch.batch_id)
    if existing is not None:
        if existing.owner != owner or existing.request_digest != digest:
            raise ConflictError(REUSED_KEY)
        jobs = _replay(services, existing, images, job_ids, digest) or []
        batch = existing
    logger.info("batch created", batch_id=batch.batch_id, images=len(jobs), replayed=existing is not None)
    return BatchCreated(
        batch_id=batch.batch_id, created_at=batch.created_at, jobs=_slots(services, jobs), callback=callback
    )


def add_images(
    services: Services, owner: str, batch_id: str, images: list[ImageSlot], idempotency_key: str | None = None
) -> ImagesAdded:
    batch = owned_batch(services, owner, batch_id)
    _check_sizes(services, images)
    digest = request_digest("add", batch.batch_id, idempotency_key, _slots_digest(images))
    job_ids = _job_ids(len(images), (batch.batch_id, "add", idempotency_key) if idempotency_key else None)
    jobs = _replay(services, batch, images, job_ids, digest) if idempotency_key else None
    if jobs is None:
        if (full := quotas.batch_full(services, batch.total, len(images))) is not None:
            raise full
        quotas.reserve_images(services, owner, len(images))
        first_seq = _reserve_seq(services, batch, len(images))
        jobs = _new_jobs(services, batch, images, first_seq, job_ids, digest if idempotency_key else None)
        _add_within_quota(services, batch, jobs)
    logger.info("images added", batch_id=batch.batch_id, images=len(jobs))
    return ImagesAdded(batch_id=batch.batch_id, jobs=_slots(services, jobs))


def _add_within_quota(services: Services, batch: BatchRecord, jobs: list[JobRecord]) -> None:
    limit = services.settings.quota_jobs_per_batch
    try:
        services.store.add_jobs(batch.batch_id, jobs, max_total=limit)
    except StaleRecordError as error:  # a concurrent add filled the batch first, or it was deleted
        current = services.store.get_batch(batch.batch_id)
        if current is None:
            raise NotFoundError(f"no batch {batch.batch_id!r}") from error
        full = quotas.batch_full(services, current.total, len(jobs))
        raise full or QuotaExceededError("the batch is full", retry_after_seconds=3600) from error


def _advance(services: Services, job: JobRecord, status: JobStatus, error: JobError | None = None) -> bool:
    """Move a job on from AWAITING_UPLOAD; False when somebody else (the worker) moved it first."""
    after = job.moved_to(status, iso(services.clock()), error=error)
    try:
        services.store.transition(job, after)
    except StaleRecordError:
        return False
    return True


def _selected(services: Services, batch: BatchRecord, job_ids: list[str] | None) -> tuple[list[JobRecord], list[str]]:
    """The jobs a submit names (default: all of the batch) and the requested ids that are not its jobs."""
    if job_ids is None:
        return services.store.all_jobs(batch.batch_id), []
    wanted = list(dict.fromkeys(job_ids))
    valid = [job_id for job_id in wanted if keys.is_valid_id(job_id)]
    found = {j.job_id: j for j in services.store.get_jobs(valid) if j.batch_id == batch.batch_id}
    return [found[j] for j in wanted if j in found], [j for j in wanted if j not in found]


def submit(services: Services, owner: str, batch_id: str, job_ids: list[str] | None) -> SubmitOutcome:
    """Queue every uploaded job of the batch (or of `job_ids`). Idempotent: a job leaves
    AWAITING_UPLOAD once, so a second submit reports it as already submitted and sends nothing.

    The message is sent before the job is marked QUEUED: a crash in between leaves a message for a job
    still AWAITING_UPLOAD, which the worker accepts; the reverse order could leave a QUEUED job with no
    message, stuck forever.
    """
    batch = owned_batch(services, owner, batch_id)
    jobs, unknown = _selected(services, batch, job_ids)
    waiting = [job for job in jobs if job.status == JobStatus.AWAITING_UPLOAD]
    already = [job.job_id for job in jobs if job.status != JobStatus.AWAITING_UPLOAD]

    with ThreadPoolExecutor(max_workers=16) as pool:
        sizes = list(pool.map(lambda j: services.objects.size_of(keys.upload_key(j.batch_id, j.job_id)), waiting))
    missing = [job.job_id for job, size in zip(waiting, sizes, strict=True) if size is None]
    limit = services.settings.max_upload_bytes
    rejected = []
    for job, size in zip(waiting, sizes, strict=True):
        if size is not None and size > limit:
            message = f"the upload is {size} bytes, over the limit of {limit}"
            if _advance(services, job, JobStatus.FAILED, JobError(ErrorCode.FILE_TOO_LARGE, message)):
                rejected.append(RejectedJob(job_id=job.job_id, code=ErrorCode.FILE_TOO_LARGE))
    ready = [job for job, size in zip(waiting, sizes, strict=True) if size is not None and size <= limit]

    refused = set(services.queue.send([JobMessage(job.job_id, job.batch_id) for job in ready])) if ready else set()
    missing += [job.job_id for job in ready if job.job_id in refused]  # not queued: a later submit retries
    now = iso(services.clock())
    moved = services.store.transition_many(
        [(job, job.moved_to(JobStatus.QUEUED, now)) for job in ready if job.job_id not in refused]
    )
    queued = [job.job_id for job in moved]
    # The rest were claimed by the worker between our read and our write: already on their way.
    sent = {job.job_id for job in ready} - refused
    already += sorted(sent - set(queued))
    logger.info(
        "batch submitted", batch_id=batch.batch_id, queued=len(queued), missing=len(missing), rejected=len(rejected)
    )
    return SubmitOutcome(queued=queued, missing=missing, already_submitted=already, rejected=rejected, unknown=unknown)


def close(services: Services, owner: str, batch_id: str) -> CloseOutcome:
    """Give up on the uploads that never came: every job still AWAITING_UPLOAD ends FAILED with
    UPLOAD_MISSING, so the batch can be done. Idempotent; jobs already submitted are untouched."""
    batch = owned_batch(services, owner, batch_id)
    waiting = [job for job in services.store.all_jobs(batch.batch_id) if job.status == JobStatus.AWAITING_UPLOAD]
    error = JobError(ErrorCode.UPLOAD_MISSING, "the batch was closed before this image was uploaded")
    now = iso(services.clock())
    closed = services.store.transition_many(
        [(job, job.moved_to(JobStatus.FAILED, now, error=error)) for job in waiting]
    )
    logger.info("batch closed", batch_id=batch.batch_id, closed=len(closed))
    return CloseOutcome(closed=[job.job_id for job in closed])


def get_batch(services: Services, owner: str, batch_id: str) -> Batch:
    return batch_view(owned_batch(services, owner, batch_id), services.settings.rekognition_price_per_1000_calls)


def list_jobs(
    services: Services, owner: str, batch_id: str, status: JobStatus | None, limit: int, next_token: str | None
) -> JobPage:
    batch = owned_batch(services, owner, batch_id)
    start = pages.jobs_start_key(next_token, batch.batch_id, status)
    jobs, last = services.store.list_jobs(batch.batch_id, limit, start, status)
    return JobPage(jobs=job_views(services, jobs), next_token=pages.jobs_token(last, batch.batch_id, status))


def list_batches(services: Services, owner: str, limit: int, next_token: str | None) -> BatchPage:
    start = pages.batches_start_key(next_token, owner)
    batches, last = services.store.list_batches(owner, limit, start)
    price = services.settings.rekognition_price_per_1000_calls
    return BatchPage(batches=[batch_view(b, price) for b in batches], next_token=pages.batches_token(last, owner))
