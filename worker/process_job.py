"""One job, start to finish: claim → check size → download → normalize → Rekognition (concurrently) →
write results → finish. Deliveries are at-least-once; this is where that becomes effectively once.

A job moves only by conditional transitions (`imagejobs.records.transition_request`): the claim takes it
from AWAITING_UPLOAD/QUEUED (or from PROCESSING whose lease ran out: a crashed worker) to PROCESSING with a
fresh claim token, and only the holder of that token can finish it. A second delivery of a finished job
does nothing; one that arrives while the job is being processed is retried later.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from imagejobs import keys
from imagejobs.detect_requests import detect_request, request_digest
from imagejobs.errors import ErrorCode, FeatureFailure, JobFailure, TransientError
from imagejobs.messages import JobMessage
from imagejobs.model import Feature, JobStatus
from imagejobs.observability import logger, metrics, tracer
from imagejobs.records import JobError, JobRecord, Usage, iso
from imagejobs.settings import WorkerSettings
from imagejobs.store import StaleRecordError
from worker.adapters.rekognition import ThrottledError
from worker.analysis import Outcome, is_valid_response, outcome_of
from worker.normalize import NormalizedImage, NormalizeLimits, normalize
from worker.ports import JobStore, ObjectStore, Recognizer

Normalizer = Callable[[bytes, NormalizeLimits], NormalizedImage]

_CLAIM_ATTEMPTS = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


class JobBusyError(TransientError):
    """Another delivery of the same message holds a live claim on the job: try again later."""


@dataclass
class JobContext:
    """What processing a job needs; one per invocation (the semaphores belong to its event loop)."""

    settings: WorkerSettings
    store: JobStore
    objects: ObjectStore
    recognizer: Recognizer
    normalizer: Normalizer = normalize
    clock: Callable[[], datetime] = utc_now
    feature_slots: dict[Feature, asyncio.Semaphore] = field(default_factory=dict)
    normalize_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))

    def __post_init__(self) -> None:
        for feature in Feature:
            self.feature_slots.setdefault(feature, asyncio.Semaphore(self.settings.rekognition_concurrency))

    @property
    def limits(self) -> NormalizeLimits:
        return NormalizeLimits(max_pixels=self.settings.max_pixels, max_edge=self.settings.max_edge)


async def process_message(message: JobMessage, ctx: JobContext) -> JobStatus | None:
    """Process one delivery. Returns the job's terminal status, or None when there was nothing to do.
    Raises TransientError (the message is retried later) for throttling, outages and busy jobs."""
    job = await _claim(message, ctx)
    if job is None:
        return None
    try:
        finished = await _finish(ctx, job, await _analyse(ctx, job))
    except JobFailure as failure:
        finished = await _finish_failed(ctx, job, failure.code, failure.message)
    except (TransientError, asyncio.CancelledError):
        # Retried later, or cancelled at the invocation's deadline: hand the job back either way, so the next
        # delivery claims it at once instead of waiting for the lease.
        await _release(ctx, job)
        raise
    metrics.add_metric(name=f"Jobs{finished.status.value.title()}", unit="Count", value=1)
    logger.info("job finished", status=finished.status.value, attempts=finished.attempts)
    return finished.status


async def _claim(message: JobMessage, ctx: JobContext) -> JobRecord | None:
    for _ in range(_CLAIM_ATTEMPTS):
        job = await ctx.store.get_job(message.job_id)
        if job is None or job.batch_id != message.batch_id:
            logger.warning("message for an unknown job dropped", job_id=message.job_id)
            return None
        if job.status.is_terminal:
            logger.info("duplicate delivery of a finished job", job_id=job.job_id, status=job.status.value)
            return None
        now = ctx.clock()
        if job.status is JobStatus.PROCESSING and (job.lease_until or 0) > now.timestamp():
            raise JobBusyError(f"job {job.job_id} is being processed by another delivery")
        claimed = job.moved_to(
            JobStatus.PROCESSING,
            iso(now),
            attempts=job.attempts + 1,
            claim_token=secrets.token_hex(8),
            lease_until=int(now.timestamp()) + ctx.settings.lease_seconds,
        )
        try:
            return await ctx.store.transition(job, claimed)
        except StaleRecordError:
            continue  # changed under us (submit marking it QUEUED, or another delivery): look again
    raise JobBusyError(f"job {message.job_id} keeps changing; retrying later")


async def give_up_throttled(message: JobMessage, ctx: JobContext, waited_seconds: int) -> bool:
    """End a job that Rekognition kept throttling past `throttle_max_age_hours` as FAILED/THROTTLED (not
    INTERNAL: nothing is wrong with the image). False when it finished or was claimed meanwhile."""
    hours = ctx.settings.throttle_max_age_hours
    error = JobError(
        ErrorCode.THROTTLED,
        f"Rekognition stayed over its request quota for {waited_seconds // 60} minutes (the limit is {hours} h); "
        "submit the image again later, or ask for a higher quota",
    )
    for _ in range(_CLAIM_ATTEMPTS):
        job = await ctx.store.get_job(message.job_id)
        if job is None or job.status.is_terminal or job.status is JobStatus.PROCESSING:
            return False
        try:
            await ctx.store.transition(job, job.moved_to(JobStatus.FAILED, iso(ctx.clock()), error=error))
        except StaleRecordError:
            continue
        metrics.add_metric(name="JobsThrottledOut", unit="Count", value=1)
        logger.error("job given up after sustained throttling", job_id=job.job_id, waited_seconds=waited_seconds)
        return True
    return False


async def _release(ctx: JobContext, job: JobRecord) -> None:
    """Hand a job back to the queue state after a transient failure, so the next delivery claims it
    at once instead of waiting for the lease. Best effort: the lease covers a failed release."""
    released = job.moved_to(JobStatus.QUEUED, iso(ctx.clock()))
    try:
        await ctx.store.transition(job, released)
    except (StaleRecordError, TransientError) as error:
        logger.warning("could not release job", job_id=job.job_id, error=str(error))


@tracer.capture_method(capture_response=False)
async def _analyse(ctx: JobContext, job: JobRecord) -> tuple[Outcome, NormalizedImage]:
    upload = keys.upload_key(job.batch_id, job.job_id)
    size = await ctx.objects.size_of(upload)
    limit = ctx.settings.max_upload_bytes
    if size is None:
        raise JobFailure(ErrorCode.UPLOAD_MISSING, "the image was never uploaded (or has expired)")
    if size == 0:
        raise JobFailure(ErrorCode.EMPTY_FILE, "the uploaded file is empty")
    if size > limit:
        raise JobFailure(ErrorCode.FILE_TOO_LARGE, f"the upload is {size} bytes, over the limit of {limit}")
    # Download inside the slot: records waiting for a slot hold no bytes (bounded memory, docs/normalizer.md).
    async with ctx.normalize_slots:
        data = await ctx.objects.read(upload, limit)
        with tracer.provider.in_subsegment("## normalize"):
            image = await _normalize(ctx, data)
        del data
    await ctx.objects.write(
        keys.normalized_image_key(job.batch_id, job.job_id, image.extension), image.data, image.content_type
    )
    responses, usage = await _detect_all(ctx, job, image)
    outcome = outcome_of(responses, usage)
    # Written last: its presence (with the job's terminal status) is what readers rely on.
    await ctx.objects.write_json(keys.results_key(job.batch_id, job.job_id), outcome.results)
    return outcome, image


async def _normalize(ctx: JobContext, data: bytes) -> NormalizedImage:
    """The normalizer's verdict; a bug in it ends the job INTERNAL at once instead of retrying it to the DLQ."""
    try:
        return await asyncio.to_thread(ctx.normalizer, data, ctx.limits)
    except (JobFailure, TransientError):
        raise
    except Exception as error:
        logger.exception("normalizer failed unexpectedly")
        raise JobFailure(
            ErrorCode.INTERNAL, "The image could not be normalized because of an internal error."
        ) from error


async def _detect_all(
    ctx: JobContext, job: JobRecord, image: NormalizedImage
) -> tuple[dict[Feature, dict[str, Any] | FeatureFailure], Usage]:
    """Every requested feature at once, each bounded by its API's semaphore. A response already stored
    for the same bytes and parameters (a duplicate image, or a retry after a crash) is reused. Also returns
    how many calls were paid for and how many answers were reused."""
    reused: list[Feature] = []

    async def detect(feature: Feature) -> dict[str, Any]:
        request = detect_request(feature, image.data, job.options)
        key = keys.cached_response_key(job.owner, image.record.sha256, feature, request_digest(request))
        cached = await ctx.objects.read_json(key)
        if cached is not None and is_valid_response(feature, cached):
            metrics.add_metric(name="RekognitionCallsSaved", unit="Count", value=1)
            reused.append(feature)
            return dict(cached)
        if cached is not None:  # stored data is never trusted: a malformed answer is paid for again
            logger.warning("cached answer discarded", feature=feature.value, key=key)
        async with ctx.feature_slots[feature]:
            with tracer.provider.in_subsegment(f"## {feature.operation}"):
                response = await ctx.recognizer.detect(feature, request)
        await ctx.objects.write_json(key, response)  # the raw response, kept for reuse and audit
        return response

    features = job.options.features
    answers = await asyncio.gather(*(detect(f) for f in features), return_exceptions=True)
    responses: dict[Feature, dict[str, Any] | FeatureFailure] = {}
    for feature, answer in zip(features, answers, strict=True):
        if isinstance(answer, ThrottledError):
            metrics.add_metric(name="RekognitionThrottles", unit="Count", value=1)
        if isinstance(answer, BaseException) and not isinstance(answer, FeatureFailure):
            raise answer
        responses[feature] = answer
    return responses, Usage(calls=len(features) - len(reused), saved=len(reused))


async def _finish(ctx: JobContext, job: JobRecord, analysed: tuple[Outcome, NormalizedImage]) -> JobRecord:
    outcome, image = analysed
    record = image.record
    done = job.moved_to(
        outcome.status,
        iso(ctx.clock()),
        error=outcome.error,
        feature_errors=outcome.feature_errors,
        original={
            "width": record.original_width,
            "height": record.original_height,
            "format": record.original_format,
            "bytes": record.original_bytes,
        },
        image={
            "width": image.width,
            "height": image.height,
            "key": keys.normalized_image_key(job.batch_id, job.job_id, image.extension),
            "contentType": image.content_type,
            "normalization": record.to_json(),
        },
        results_key=keys.results_key(job.batch_id, job.job_id),
        summary=outcome.summary,
        usage=outcome.usage,
    )
    return await _commit(ctx, job, done)


async def _finish_failed(ctx: JobContext, job: JobRecord, code: ErrorCode, message: str) -> JobRecord:
    logger.info("job rejected", code=code.value, reason=message)
    failed = job.moved_to(JobStatus.FAILED, iso(ctx.clock()), error=JobError(code, message))
    return await _commit(ctx, job, failed)


async def _commit(ctx: JobContext, claimed: JobRecord, done: JobRecord) -> JobRecord:
    try:
        return await ctx.store.transition(claimed, done)
    except StaleRecordError as error:
        # Our lease ran out and another delivery took the job over: its result stands, not ours.
        raise JobBusyError(f"lost the claim on job {claimed.job_id}") from error
