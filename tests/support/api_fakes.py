"""In-memory fakes of the API's ports (`api.logic.ports`), for the socket-free unit tier. They keep the
real adapters' contracts — conditional transitions on status and version, counters moved with the job,
pages with DynamoDB-shaped last keys, missing objects as None — and mypy checks them against the ports
(see `_conforms`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from api.logic.ports import DeletionQueue, JobQueue, JobRepository, Library, ObjectStorage, UploadForm
from imagejobs import index, records
from imagejobs.deletions import DeletionRecord, DeletionStatus, Progress
from imagejobs.errors import TransientError
from imagejobs.index import IndexedImage, Stats, TermQuery
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
            finished = after.updated_at if after.status.is_terminal else batch.finished_at
            self.batches[after.batch_id] = replace(batch, counts=counts, usage=usage, finished_at=finished)
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

    def list_keys(self, prefix: str, limit: int | None = None) -> list[str]:
        self._check()
        found = sorted(k for k in {*self.objects, *self.documents} if k.startswith(prefix))
        return found[:limit] if limit is not None else found

    def delete(self, keys: list[str]) -> int:
        self._check()
        for key in keys:
            self.objects.pop(key, None)
            self.documents.pop(key, None)
        return len(keys)

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


@dataclass
class FakeLibrary:
    """The index, counters and deletions over the same repository's records, kept as DynamoDB would keep
    them: items by (pk, sk), term reads newest first over a range of `at`, filters after the read."""

    repository: FakeRepository
    items: dict[tuple[str, str], AttributeMap] = field(default_factory=dict)
    deletions: dict[str, DeletionRecord] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)

    def index_image(self, image: IndexedImage) -> None:
        """What the indexer does (imagejobs.index_store.LibraryStore.index_image), for test setup."""
        for item in [*image.term_items(), image.card()]:
            self.items[(item["pk"]["S"], item["sk"]["S"])] = item
        self._count(image, 1)

    def _count(self, image: IndexedImage, sign: int) -> None:
        for scope in (index.owner_scope(image.owner), index.batch_scope(image.batch_id)):
            totals = self.items.setdefault((index.stats_pk(scope), index.TOTALS_SK), {"sk": {"S": index.TOTALS_SK}})
            for name, value in index.totals(image).items():
                totals[name] = {"N": str(int(totals.get(name, {"N": "0"})["N"]) + sign * value)}
            for kind, pairs in ((index.LABEL, image.labels), (index.MODERATION, image.moderation)):
                for name, _ in pairs:
                    sk = f"{kind}#{index.normalize(name)}"
                    counter = self.items.setdefault((index.stats_pk(scope), sk), {"sk": {"S": sk}, "name": {"S": name}})
                    counter["images"] = {"N": str(int(counter.get("images", {"N": "0"})["N"]) + sign)}

    def query_terms(
        self, query: TermQuery, limit: int, start_key: AttributeMap | None
    ) -> tuple[list[AttributeMap], AttributeMap | None, int]:
        chosen = sorted(
            (i for i in self.items.values() if i.get("term", {}).get("S") == query.term),
            key=lambda i: i["at"]["S"],
            reverse=True,
        )
        chosen = [i for i in chosen if query.at_from <= i["at"]["S"] <= query.at_to]
        if start_key is not None:
            chosen = [i for i in chosen if i["at"]["S"] < start_key["at"]["S"]]
        read = chosen[:limit]
        last = {k: read[-1][k] for k in ("pk", "sk", "term", "at")} if len(chosen) > limit else None
        return [i for i in read if self._passes(i, query)], last, len(read)

    @staticmethod
    def _passes(item: AttributeMap, query: TermQuery) -> bool:
        if query.min_confidence is not None and float(item.get("confidence", {"N": "-1"})["N"]) < query.min_confidence:
            return False
        if query.batch_id is not None and item["batchId"]["S"] != query.batch_id:
            return False
        if query.min_faces is not None or query.max_faces is not None:
            if "faceCount" not in item:
                return False
            faces = int(item["faceCount"]["N"])
            high = query.max_faces if query.max_faces is not None else 1_000_000
            return (query.min_faces or 0) <= faces <= high
        return True

    def get_cards(self, job_ids: list[str]) -> dict[str, IndexedImage]:
        cards = {j: self.get_card(j) for j in job_ids}
        return {j: card for j, card in cards.items() if card is not None}

    def get_card(self, job_id: str) -> IndexedImage | None:
        item = self.items.get((f"JOB#{job_id}", index.IMAGE_SK))
        return IndexedImage.from_card(item) if item else None

    def read_stats(self, scope: str) -> Stats:
        return index.stats_from_items([i for (pk, _), i in self.items.items() if pk == index.stats_pk(scope)])

    def update_batch_labels(self, batch_id: str, **changes: Any) -> BatchRecord | None:
        batch = self.repository.batches.get(batch_id)
        if batch is None:
            return None
        updated = replace(batch, **{k: v for k, v in changes.items() if k in ("name", "tags")})
        self.repository.batches[batch_id] = updated
        return updated

    def list_batches_filtered(
        self, owner: str, limit: int, start_key: AttributeMap | None, name: str | None, tag: str | None
    ) -> tuple[list[BatchRecord], AttributeMap | None, int]:
        page, last = self.repository.list_batches(owner, limit, start_key)
        kept = [
            b
            for b in page
            if (not name or name.casefold() in (b.name or "").casefold())
            and (not tag or tag in b.tags)
            and b.deleting_since is None
        ]
        return kept, last, len(page)

    def unindex_job(self, job_id: str, owner: str) -> int:
        card = self.get_card(job_id)
        if card is not None:
            self._count(replace(card, owner=owner), -1)
        mine = [key for key in self.items if key[0] == f"JOB#{job_id}"]
        for key in mine:
            del self.items[key]
        return len(mine)

    def image_users(self, owner: str, sha256: str) -> dict[str, set[str]]:
        term = index.term(index.owner_digest(owner), index.IMAGE_HASH, sha256)
        return {
            i["jobId"]["S"]: set(json.loads(i["cacheKeys"]["S"]))
            for i in self.items.values()
            if i.get("term", {}).get("S") == term
        }

    def delete_stats(self, scope: str) -> int:
        mine = [key for key in self.items if key[0] == index.stats_pk(scope)]
        for key in mine:
            del self.items[key]
        return len(mine)

    def delete_job(self, job: JobRecord) -> None:
        current = self.repository.jobs.get(job.job_id)
        if current is None or (current.status, current.version) != (job.status, job.version):
            raise StaleRecordError("job changed")
        del self.repository.jobs[job.job_id]
        batch = self.repository.batches.get(job.batch_id)
        if batch is not None:
            counts = dict(batch.counts)
            counts[job.status] = counts.get(job.status, 0) - 1
            self.repository.batches[job.batch_id] = replace(batch, total=batch.total - 1, counts=counts)

    def mark_batch_deleting(self, batch_id: str, at: str) -> None:
        batch = self.repository.batches.get(batch_id)
        if batch is not None and batch.deleting_since is None:
            self.repository.batches[batch_id] = replace(batch, deleting_since=at)

    def delete_batch(self, batch_id: str) -> bool:
        batch = self.repository.batches.get(batch_id)
        if batch is not None and batch.total > 0:
            return False
        self.repository.batches.pop(batch_id, None)
        return True

    def get_deletion(self, deletion_id: str) -> DeletionRecord | None:
        return self.deletions.get(deletion_id)

    def start_deletion(self, record: DeletionRecord) -> DeletionRecord:
        existing = self.deletions.get(record.deletion_id)
        if existing is not None and existing.status is not DeletionStatus.COMPLETED:
            return existing
        self.deletions[record.deletion_id] = record
        return record

    def claim_deletion(self, deletion_id: str, now: int, until: int) -> bool:
        record = self.deletions[deletion_id]
        if record.status is DeletionStatus.COMPLETED or self.claims.get(deletion_id, 0) >= now:
            return False
        self.claims[deletion_id] = until
        return True

    def record_progress(
        self, deletion_id: str, done: Progress, status: DeletionStatus, at: str, expires_at: int
    ) -> DeletionRecord:
        self.claims.pop(deletion_id, None)
        record = self.deletions[deletion_id]
        if record.status is DeletionStatus.COMPLETED:
            return record
        updated = replace(
            record,
            deleted=record.deleted + done,
            status=status,
            updated_at=at,
            expires_at=expires_at,
            completed_at=at if status is DeletionStatus.COMPLETED else record.completed_at,
        )
        self.deletions[deletion_id] = updated
        return updated


@dataclass
class FakeDeletionQueue:
    sent: list[tuple[str, int]] = field(default_factory=list)

    def send(self, deletion_id: str, delay_seconds: int = 0) -> None:
        self.sent.append((deletion_id, delay_seconds))


def _conforms() -> None:
    """mypy checks each fake against the port it stands in for (never called)."""
    repository: JobRepository = FakeRepository()
    objects: ObjectStorage = FakeObjectStorage()
    queue: JobQueue = FakeQueue()
    library: Library = FakeLibrary(FakeRepository())
    deletions: DeletionQueue = FakeDeletionQueue()
    del repository, objects, queue, library, deletions
