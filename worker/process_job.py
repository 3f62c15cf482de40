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
from imagejobs.detect_requests import ImageSource, cache_document, cache_key, cached_answers, detect_request
from imagejobs.errors import ErrorCode, FeatureFailure, JobFailure, TransientError
from imagejobs.messages import JobMessage
from imagejobs.model import Feature, JobStatus
from imagejobs.observability import logger, metrics, tracer
from imagejobs.records import JobError, JobRecord, Usage, iso
from imagejobs.settings import WorkerSettings
from imagejobs.store import StaleRecordError
from worker.adapters.rekognition import ImageUnreadableError, ThrottledError
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


async def _download(ctx: JobContext, job: JobRecord) -> bytes:
    """The upload's bytes, or the typed reason there are none to analyse (one ranged GET, no HEAD)."""
    limit = ctx.settings.max_upload_bytes
    upload = await ctx.objects.download(keys.upload_key(job.batch_id, job.job_id), limit)
    if upload is None:
        raise JobFailure(ErrorCode.UPLOAD_MISSING, "the image was never uploaded (or has expired)")
    if upload.size == 0:
        raise JobFailure(ErrorCode.EMPTY_FILE, "the uploaded file is empty")
    if upload.data is None:
        raise JobFailure(ErrorCode.FILE_TOO_LARGE, f"the upload is {upload.size} bytes, over the limit of {limit}")
    return upload.data


@tracer.capture_method(capture_response=False)
async def _analyse(ctx: JobContext, job: JobRecord) -> tuple[Outcome, NormalizedImage]:
    # Download inside the slot: records waiting for a slot hold no bytes (bounded memory, docs/normalizer.md).
    async with ctx.normalize_slots:
        data = await _download(ctx, job)
        with tracer.provider.in_subsegment("## normalize"):
            image = await _normalize(ctx, data)
        del data
    stored = keys.normalized_image_key(job.batch_id, job.job_id, image.extension)
    await ctx.objects.write(stored, image.data, image.content_type)
    responses, usage = await _detect_all(ctx, job, image, ctx.objects.image_source(stored))
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


async def _reusable(ctx: JobContext, key: str, features: list[Feature]) -> dict[Feature, dict[str, Any]]:
    """The stored answers that are fit to reuse: stored data is never trusted, so a malformed one is
    discarded (and paid for again)."""
    stored = cached_answers(await ctx.objects.read_json(key))
    reused: dict[Feature, dict[str, Any]] = {}
    for feature in features:
        answer = stored.get(feature.operation)
        if answer is not None and is_valid_response(feature, answer):
            reused[feature] = dict(answer)
        elif answer is not None:
            logger.warning("cached answer discarded", feature=feature.value, key=key)
    if reused:
        metrics.add_metric(name="RekognitionCallsSaved", unit="Count", value=len(reused))
    return reused


async def _call(ctx: JobContext, job: JobRecord, feature: Feature, source: ImageSource, image: bytes) -> dict[str, Any]:
    async with ctx.feature_slots[feature]:
        with tracer.provider.in_subsegment(f"## {feature.operation}"):
            try:
                return await ctx.recognizer.detect(feature, detect_request(feature, source, job.options))
            except ImageUnreadableError:
                # Rekognition may not read the object itself (another region, a key it cannot use): the
                # image travels in the call instead, for this call only.
                logger.warning("Rekognition could not read the stored image; sending its bytes", feature=feature.value)
                return await ctx.recognizer.detect(feature, detect_request(feature, {"Bytes": image}, job.options))


async def _detect_all(
    ctx: JobContext, job: JobRecord, image: NormalizedImage, source: ImageSource
) -> tuple[dict[Feature, dict[str, Any] | FeatureFailure], Usage]:
    """Every requested feature at once, each bounded by its API's semaphore, Rekognition reading the stored
    image from S3. Answers already stored for the same image and calls (a duplicate image, or a retry after
    a crash) are reused: one document read, and one written when anything was paid for. Also returns how
    many calls were paid for and how many answers were reused."""
    key = cache_key(job.owner, image.record.sha256, job.options)
    reused = await _reusable(ctx, key, job.options.features)
    wanted = [feature for feature in job.options.features if feature not in reused]
    answers = await asyncio.gather(*(_call(ctx, job, f, source, image.data) for f in wanted), return_exceptions=True)
    responses: dict[Feature, dict[str, Any] | FeatureFailure] = dict(reused)
    for feature, answer in zip(wanted, answers, strict=True):
        if isinstance(answer, ThrottledError):
            metrics.add_metric(name="RekognitionThrottles", unit="Count", value=1)
        if isinstance(answer, BaseException) and not isinstance(answer, FeatureFailure):
            raise answer
        responses[feature] = answer
    paid = {feature: answer for feature, answer in responses.items() if isinstance(answer, dict)}
    if len(paid) > len(reused):  # the raw answers, kept for reuse and audit
        await ctx.objects.write_json(key, cache_document(paid))
    ordered = {feature: responses[feature] for feature in job.options.features}
    return ordered, Usage(calls=len(wanted), saved=len(reused))


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
