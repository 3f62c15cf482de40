"""In-memory fakes of the API's ports (`api.logic.ports`), for the socket-free unit tier. They keep the
real adapters' contracts — conditional transitions on status and version, counters moved with the job,
pages with DynamoDB-shaped last keys, missing objects as None — and mypy checks them against the ports
(see `_conforms`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from api.logic.ports import JobQueue, JobRepository, ObjectStorage, UploadForm
from imagejobs import records
from imagejobs.errors import TransientError
from imagejobs.messages import JobMessage
from imagejobs.model import JobStatus
from imagejobs.records import AttributeMap, BatchRecord, JobRecord, Usage
from imagejobs.store import StaleCancellationError, StaleRecordError


@dataclass
class FakeRepository:
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    daily: dict[tuple[str, str], int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def get_job(self, job_id: str) -> JobRecord | None:
        self.calls.append("get_job")
        return self.jobs.get(job_id)

    def get_jobs(self, job_ids: list[str]) -> list[JobRecord]:
        self.calls.append("get_jobs")
        return [self.jobs[j] for j in dict.fromkeys(job_ids) if j in self.jobs]

    def get_batch(self, batch_id: str) -> BatchRecord | None:
        self.calls.append("get_batch")
        return self.batches.get(batch_id)

    def create_batch(self, batch: BatchRecord, jobs: list[JobRecord]) -> None:
        self.calls.append("create_batch")
        if batch.batch_id in self.batches:
            raise StaleRecordError("batch exists")
        self.batches[batch.batch_id] = replace(
            batch,
            total=len(jobs),
            counts={JobStatus.AWAITING_UPLOAD: len(jobs)},
            next_seq=max(batch.next_seq, len(jobs)),
        )
        self.jobs.update({job.job_id: job for job in jobs})

    def reserve_seq(self, batch_id: str, count: int) -> int:
        batch = self.batches[batch_id]
        self.batches[batch_id] = replace(batch, next_seq=batch.next_seq + count)
        return batch.next_seq

    def add_jobs(self, batch_id: str, jobs: list[JobRecord], max_total: int | None = None) -> None:
        batch = self.batches[batch_id]
        if max_total is not None and batch.total + len(jobs) > max_total:
            raise StaleRecordError("over the batch quota")
        if any(job.job_id in self.jobs for job in jobs):
            raise StaleRecordError("job exists")
        counts = dict(batch.counts)
        counts[JobStatus.AWAITING_UPLOAD] = counts.get(JobStatus.AWAITING_UPLOAD, 0) + len(jobs)
        self.batches[batch_id] = replace(batch, total=batch.total + len(jobs), counts=counts)
        self.jobs.update({job.job_id: job for job in jobs})

    def transition(self, before: JobRecord, after: JobRecord) -> JobRecord:
        self.transition_many([(before, after)])
        return after

    def transition_many(self, pairs: list[tuple[JobRecord, JobRecord]]) -> list[JobRecord]:
        moved = []
        for before, after in pairs:
            current = self.jobs.get(before.job_id)
            if current is None or (current.status, current.version) != (before.status, before.version):
                if len(pairs) == 1:
                    raise StaleCancellationError("job changed", {0})
                continue
            self.jobs[after.job_id] = after
            batch = self.batches[after.batch_id]
            counts = dict(batch.counts)
            counts[before.status] = counts.get(before.status, 0) - 1
            counts[after.status] = counts.get(after.status, 0) + 1
            usage = batch.usage
            if after.status.is_terminal and after.usage is not None and before.usage is None:
                usage = Usage(usage.calls + after.usage.calls, usage.saved + after.usage.saved)
            self.batches[after.batch_id] = replace(batch, counts=counts, usage=usage)
            moved.append(after)
        return moved

    def list_jobs(
        self, batch_id: str, limit: int, start_key: AttributeMap | None = None, status: JobStatus | None = None
    ) -> tuple[list[JobRecord], AttributeMap | None]:
        self.calls.append("list_jobs")
        matching = sorted(
            (j for j in self.jobs.values() if j.batch_id == batch_id and (status is None or j.status == status)),
            key=lambda job: job.seq,
        )
        if start_key is not None:
            after = int(start_key["seq"]["N"])
            matching = [job for job in matching if job.seq > after]
        page = matching[:limit]
        if len(matching) <= limit:
            return page, None
        last = page[-1]
        key: AttributeMap = {**records.job_key(last.job_id), "seq": {"N": str(last.seq)}}
        if status is None:
            key["batchId"] = {"S": batch_id}
        else:
            key["batchStatus"] = {"S": records.batch_status(batch_id, status)}
        return page, key

    def all_jobs(self, batch_id: str) -> list[JobRecord]:
        return sorted((j for j in self.jobs.values() if j.batch_id == batch_id), key=lambda job: job.seq)

    def list_batches(
        self, owner: str, limit: int, start_key: AttributeMap | None = None
    ) -> tuple[list[BatchRecord], AttributeMap | None]:
        mine = sorted((b for b in self.batches.values() if b.owner == owner), key=lambda b: b.created_at, reverse=True)
        if start_key is not None:
            mine = [b for b in mine if b.created_at < start_key["createdAt"]["S"]]
        page = mine[:limit]
        if len(mine) <= limit:
            return page, None
        last = page[-1]
        return page, {
            **records.batch_key(last.batch_id),
            "batchOwner": {"S": owner},
            "createdAt": {"S": last.created_at},
        }

    def reserve_daily_images(self, owner: str, day: str, count: int, limit: int, expires_at: int) -> bool:
        used = self.daily.get((owner, day), 0)
        if used + count > limit:
            return False
        self.daily[(owner, day)] = used + count
        return True


@dataclass
class FakeObjectStorage:
    objects: dict[str, bytes] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    outage: bool = False

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm:
        return UploadForm(url="https://uploads.example", fields={"key": key, "Content-Type": content_type})

    def size_of(self, key: str) -> int | None:
        self._check()
        return len(self.objects[key]) if key in self.objects else None

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._check()
        self.objects[key] = body

    def read_json(self, key: str) -> Any | None:
        self._check()
        return self.documents.get(key)

    def download_url(self, key: str, expires_in: int) -> str:
        return f"https://downloads.example/{key}"

    def _check(self) -> None:
        if self.outage:
            raise TransientError("S3 GET: SlowDown")


@dataclass
class FakeQueue:
    sent: list[JobMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def send(self, messages: list[JobMessage]) -> list[str]:
        refused = [m.job_id for m in messages if m.job_id in self.refuse]
        self.sent += [m for m in messages if m.job_id not in self.refuse]
        return refused


def _conforms() -> None:
    """mypy checks each fake against the port it stands in for (never called)."""
    repository: JobRepository = FakeRepository()
    objects: ObjectStorage = FakeObjectStorage()
    queue: JobQueue = FakeQueue()
    del repository, objects, queue
