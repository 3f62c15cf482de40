"""Deleting for real: a job, a batch, or everything a caller owns.

What goes, per job: the original upload, everything under its derived prefix (normalized image, results:
listed, not assumed), its analytics record, its index items and counters, the cached Rekognition answers
no other job of the caller still uses, then the job record itself (last: it is what lets an interrupted
deletion find the rest). A batch then loses its counters and record; an account, every batch, its counters
and every cached answer under its prefix.

A DELETE of a job, or of a batch of up to `inline_deletion_jobs` jobs, is done while the caller waits (200
`COMPLETED`, within `INLINE_SECONDS`); a larger batch and a whole account go on in the background (202, then
`GET /deletions/{id}`), a bounded number of jobs and seconds per run, through the deletions queue. Every
step is idempotent and the deletion's id is derived from what it deletes, so a repeated DELETE or a repeated
queue message only finds less to do. A job being analysed right now is never deleted under its worker (it
would write results after we removed them): a job answers 409, a batch waits for it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from api.errors import BusyError, NotFoundError
from api.logic.batches import owned_batch
from api.logic.jobs import owned_job
from api.logic.services import Services
from api.models.deletions import Deleted, Deletion
from imagejobs import index, keys
from imagejobs.deletions import (
    DELETION_RECORD_SECONDS,
    DeletionRecord,
    DeletionScope,
    DeletionStatus,
    Progress,
    deletion_id,
)
from imagejobs.detect_requests import cache_keys
from imagejobs.errors import ImgrecError
from imagejobs.model import JobStatus
from imagejobs.observability import logger, metrics
from imagejobs.records import JobRecord, iso
from imagejobs.store import StaleRecordError

# A run that found a job being analysed comes back this much later.
BUSY_RETRY_SECONDS = 30
# Jobs one background run removes before it hands over to the next message (keeps runs short).
BACKGROUND_JOBS_PER_RUN = 200
DELETION_CONCURRENCY = 8
# How long one run holds a deletion at most (the deletion function's timeout).
RUN_LEASE_SECONDS = 300
# A deletion within a request stops after this long and goes on in the background.
INLINE_SECONDS = 5.0


class DeletionBusyError(ImgrecError):
    """A job of the target is being analysed: the deletion goes on once it has finished."""


@dataclass
class Budget:
    jobs: int
    # A run also stops in time: the API must answer within its gateway's 29 s, a background run within
    # its function's timeout.
    seconds: float = 240.0
    done: Progress = field(default_factory=Progress)
    started: float = field(default_factory=time.monotonic)

    @property
    def spent(self) -> bool:
        return self.jobs <= 0 or time.monotonic() - self.started >= self.seconds


def view(record: DeletionRecord) -> Deletion:
    return Deletion(
        deletion_id=record.deletion_id,
        status=record.status,
        scope=record.scope,
        target=record.target,
        created_at=record.created_at,
        updated_at=record.updated_at,
        completed_at=record.completed_at,
        deleted=Deleted(jobs=record.deleted.jobs, batches=record.deleted.batches, objects=record.deleted.objects),
    )


def _expires(services: Services) -> int:
    return int((services.clock() + timedelta(seconds=DELETION_RECORD_SECONDS)).timestamp())


def start(services: Services, owner: str, scope: DeletionScope, target: str | None = None) -> Deletion:
    """Start deleting (or answer the deletion already under way, or already done for a gone target)."""
    identifier = deletion_id(owner, scope, target)
    existing = services.library.get_deletion(identifier)
    if scope is not DeletionScope.ACCOUNT and not _target_exists(services, owner, scope, target or ""):
        if existing is not None and existing.owner == owner:
            if existing.status is not DeletionStatus.COMPLETED:
                services.deletions.send(identifier)  # in case the run that started it never handed over
            return view(existing)  # deleted, or being deleted: the same answer again
        raise NotFoundError(f"no {scope.value.lower()} {(target or '')[:80]!r}")
    if existing is not None and existing.status is not DeletionStatus.COMPLETED:
        services.deletions.send(identifier)  # in case the run that started it never handed over
        return view(existing)
    if scope is DeletionScope.JOB:
        job = owned_job(services, owner, target or "")
        if _in_flight(services, job):
            wait = int((job.lease_until or 0) - services.clock().timestamp()) + 1
            raise BusyError("the job is being analysed; delete it once it has finished", retry_after_seconds=wait)
    now = iso(services.clock())
    record = DeletionRecord(
        deletion_id=identifier,
        owner=owner,
        scope=scope,
        target=target,
        status=DeletionStatus.PENDING,
        created_at=now,
        updated_at=now,
        expires_at=_expires(services),
    )
    services.library.start_deletion(record)
    if scope is DeletionScope.BATCH:
        services.library.mark_batch_deleting(target or "", now)  # gone for the API from now on
    logger.info("deletion started", deletion_id=identifier, scope=scope.value)
    if not _small(services, owner, scope, target or ""):
        services.deletions.send(identifier)
        return view(record)
    outcome = run(services, identifier, services.settings.inline_deletion_jobs, INLINE_SECONDS)
    if outcome.record.status is not DeletionStatus.COMPLETED:
        services.deletions.send(identifier, BUSY_RETRY_SECONDS if outcome.waiting else 0)
    return view(outcome.record)


def _small(services: Services, owner: str, scope: DeletionScope, target: str) -> bool:
    """Whether to delete while the caller waits: a job, or a batch of at most `inline_deletion_jobs`."""
    if scope is DeletionScope.JOB:
        return True
    if scope is DeletionScope.ACCOUNT:
        return False
    batch = services.store.get_batch(target)
    return batch is not None and batch.total <= services.settings.inline_deletion_jobs


def _target_exists(services: Services, owner: str, scope: DeletionScope, target: str) -> bool:
    try:
        if scope is DeletionScope.JOB:
            owned_job(services, owner, target)
        else:
            owned_batch(services, owner, target)
    except NotFoundError:
        return False
    return True


def get(services: Services, owner: str, identifier: str) -> Deletion:
    record = services.library.get_deletion(identifier) if keys.is_valid_deletion_id(identifier) else None
    if record is None or record.owner != owner:
        raise NotFoundError(f"no deletion {identifier[:80]!r}")
    return view(record)


@dataclass(frozen=True)
class RunOutcome:
    record: DeletionRecord
    # A job of the target was being analysed: go on later rather than at once.
    waiting: bool = False


def run(services: Services, identifier: str, job_budget: int, seconds: float = 240.0) -> RunOutcome:
    """Go on with a deletion for up to `job_budget` jobs; the record says whether it is COMPLETED."""
    record = services.library.get_deletion(identifier)
    if record is None:
        raise NotFoundError(f"no deletion {identifier!r}")
    if record.status is DeletionStatus.COMPLETED:
        return RunOutcome(record)
    now = int(services.clock().timestamp())
    if not services.library.claim_deletion(identifier, now, now + RUN_LEASE_SECONDS):
        # Another run is at it (a repeated DELETE or message): come back later, unless it finished.
        current = services.library.get_deletion(identifier) or record
        return RunOutcome(current, waiting=current.status is not DeletionStatus.COMPLETED)
    budget = Budget(jobs=job_budget, seconds=seconds)
    waiting = False
    try:
        finished = _delete(services, record, budget)
    except DeletionBusyError as busy:
        logger.info("deletion waits for a job being analysed", deletion_id=identifier, reason=str(busy))
        finished, waiting = False, True
    status = DeletionStatus.COMPLETED if finished else DeletionStatus.IN_PROGRESS
    updated = services.library.record_progress(
        identifier, budget.done, status, iso(services.clock()), _expires(services)
    )
    if finished:
        metrics.add_metric(name="DeletionsCompleted", unit="Count", value=1)
        logger.info("deletion completed", deletion_id=identifier, jobs=updated.deleted.jobs)
    return RunOutcome(updated, waiting)


def _delete(services: Services, record: DeletionRecord, budget: Budget) -> bool:
    if record.scope is DeletionScope.JOB:
        job = services.store.get_job(record.target or "")
        if job is not None and job.owner == record.owner:
            _delete_jobs(services, [job], budget)
        return True
    if record.scope is DeletionScope.BATCH:
        return _delete_batch(services, record.owner, record.target or "", budget)
    return _delete_account(services, record.owner, budget)


def _in_flight(services: Services, job: JobRecord) -> bool:
    return job.status is JobStatus.PROCESSING and (job.lease_until or 0) > services.clock().timestamp()


def _cache_keys_to_remove(services: Services, job: JobRecord, card: index.IndexedImage | None) -> list[str]:
    sha256 = card.sha256 if card else ((job.image or {}).get("normalization") or {}).get("sha256")
    if not sha256:
        return []
    mine = set(cache_keys(job.owner, sha256, job.options)) | set(card.cache_keys if card else ())
    users = services.library.image_users(job.owner, sha256)
    still_used = set().union(*(used for other, used in users.items() if other != job.job_id))
    return sorted(mine - still_used)


def delete_job(services: Services, job: JobRecord) -> Progress:
    """Everything of one job, the record last. Raises DeletionBusyError while it is being analysed."""
    if _in_flight(services, job):
        raise DeletionBusyError(f"job {job.job_id} is being analysed")
    card = services.library.get_card(job.job_id)
    objects = [keys.upload_key(job.batch_id, job.job_id)]
    objects += services.objects.list_keys(keys.job_derived_prefix(job.batch_id, job.job_id))
    if job.status.is_terminal:
        objects.append(keys.analytics_key(job.updated_at[:10], job.job_id))
    objects += _cache_keys_to_remove(services, job, card)
    services.library.unindex_job(job.job_id, job.owner)
    removed = services.objects.delete(sorted(set(objects)))
    try:
        services.library.delete_job(job)
    except StaleRecordError as error:
        current = services.store.get_job(job.job_id)
        if current is not None:  # claimed by a worker meanwhile: its results would land after ours went
            raise DeletionBusyError(f"job {job.job_id} changed while being deleted") from error
        return Progress()  # an overlapping run removed it first and counted it
    return Progress(jobs=1, objects=removed)


def _delete_jobs(services: Services, jobs: list[JobRecord], budget: Budget) -> None:
    """Jobs are independent: several at once (each is a dozen requests, mostly waiting)."""
    if not jobs:
        return
    with ThreadPoolExecutor(max_workers=min(DELETION_CONCURRENCY, len(jobs))) as pool:
        outcomes = list(pool.map(lambda job: _attempt(services, job), jobs))
    busy = None
    for outcome in outcomes:
        if isinstance(outcome, DeletionBusyError):
            busy = outcome
        else:
            budget.jobs -= 1
            budget.done = budget.done + outcome
    if busy is not None:
        raise busy


def _attempt(services: Services, job: JobRecord) -> Progress | DeletionBusyError:
    try:
        return delete_job(services, job)
    except DeletionBusyError as busy:
        return busy


def _delete_batch(services: Services, owner: str, batch_id: str, budget: Budget) -> bool:
    """Jobs until the budget is spent; the batch's counters and record once it holds none."""
    while not budget.spent:
        batch = services.store.get_batch(batch_id)
        if batch is None or batch.owner != owner:
            return True
        listed, _ = services.store.list_jobs(batch_id, min(100, budget.jobs))
        before = budget.jobs
        # The batch index may lag: act on the records themselves (a consistent read).
        _delete_jobs(services, services.store.get_jobs([job.job_id for job in listed]), budget)
        remaining = services.store.get_batch(batch_id)
        if remaining is None:
            return True
        if remaining.total <= 0 or budget.jobs == before:
            if remaining.total > 0:
                return False  # jobs the batch index does not show yet: the next run finds them
            services.library.delete_stats(index.batch_scope(batch_id))
            if services.library.delete_batch(batch_id):
                budget.done = budget.done + Progress(batches=1)
                return True
    return False


def _delete_account(services: Services, owner: str, budget: Budget) -> bool:
    handled: set[str] = set()
    while True:
        batches, _ = services.store.list_batches(owner, 20)
        fresh = [batch for batch in batches if batch.batch_id not in handled]
        if not fresh:
            break  # none left (a batch listed again is one the owner index has not dropped yet)
        for batch in fresh:
            services.library.mark_batch_deleting(batch.batch_id, iso(services.clock()))
            if not _delete_batch(services, owner, batch.batch_id, budget):
                return False
            handled.add(batch.batch_id)
    services.library.delete_stats(index.owner_scope(owner))
    leftovers = services.objects.list_keys(keys.owner_cache_prefix(owner))
    removed = services.objects.delete(leftovers)
    budget.done = budget.done + Progress(objects=removed)
    _delete_webhook_endpoints(services, owner)
    return True


def _delete_webhook_endpoints(services: Services, owner: str) -> None:
    """The caller's endpoints (their URLs and signing secrets) go with its data: nothing is sent to them
    afterwards. Their delivery log expires on its own (14 days). One gone already is not an error."""
    for endpoint in services.webhooks.list_endpoints(owner):
        try:
            services.webhooks.delete_endpoint(endpoint)
        except StaleRecordError:
            continue
    services.webhooks.forget_owner(owner)
