"""The job store against the emulator: conditional transitions, exact counters, concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from imagejobs import keys
from imagejobs.model import AnalysisOptions, JobStatus
from imagejobs.records import BatchRecord, JobRecord
from imagejobs.store import JobStore, StaleRecordError
from local_stack import names


@pytest.fixture
def store(stack: Any) -> JobStore:
    return JobStore(stack.client("dynamodb"), names.TABLE_NAME)


def new_batch(store: JobStore, count: int) -> tuple[BatchRecord, list[JobRecord]]:
    batch = BatchRecord(keys.new_batch_id(), "carol", "2026-01-01T00:00:00Z", AnalysisOptions(), 2_000_000_000)
    jobs = [
        JobRecord(
            job_id=keys.new_job_id(), batch_id=batch.batch_id, seq=i, owner="carol", filename=f"{i}.jpg",
            content_type="image/jpeg", declared_size=1, options=batch.options, status=JobStatus.AWAITING_UPLOAD,
            created_at=batch.created_at, updated_at=batch.created_at, expires_at=batch.expires_at,
        )
        for i in range(count)
    ]  # fmt: skip
    store.create_batch(batch, jobs)
    return batch, jobs


def counts(store: JobStore, batch_id: str) -> dict[JobStatus, int]:
    stored = store.get_batch(batch_id)
    assert stored is not None
    return {status: n for status, n in stored.counts.items() if n}


def test_a_large_batch_is_written_in_chunks_with_exact_counters(store: JobStore) -> None:
    batch, jobs = new_batch(store, 250)

    assert counts(store, batch.batch_id) == {JobStatus.AWAITING_UPLOAD: 250}
    assert store.get_batch(batch.batch_id).total == 250  # type: ignore[union-attr]
    assert [j.job_id for j in store.all_jobs(batch.batch_id)] == [j.job_id for j in jobs]


def test_bulk_move_skips_jobs_that_changed_meanwhile_and_keeps_counters_exact(store: JobStore) -> None:
    batch, jobs = new_batch(store, 5)
    claimed = store.transition(jobs[2], replace(jobs[2], status=JobStatus.PROCESSING, version=1))

    moved = store.transition_many([(j, replace(j, status=JobStatus.QUEUED, version=1)) for j in jobs])

    assert [j.job_id for j in moved] == [j.job_id for i, j in enumerate(jobs) if i != 2]
    assert store.get_job(claimed.job_id).status is JobStatus.PROCESSING  # type: ignore[union-attr]
    assert counts(store, batch.batch_id) == {JobStatus.QUEUED: 4, JobStatus.PROCESSING: 1}


def test_concurrent_claims_of_one_job_let_exactly_one_win(store: JobStore) -> None:
    batch, jobs = new_batch(store, 30)

    def claim(attempt: tuple[JobRecord, int]) -> bool:
        job, token = attempt
        try:
            store.transition(job, replace(job, status=JobStatus.PROCESSING, version=1, claim_token=str(token)))
        except StaleRecordError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(claim, [(job, token) for job in jobs for token in range(6)]))

    assert [sum(wins[i * 6 : (i + 1) * 6]) for i in range(30)] == [1] * 30
    assert counts(store, batch.batch_id) == {JobStatus.PROCESSING: 30}
