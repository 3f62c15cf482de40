"""In-memory fakes of the worker's ports (job store, object store, redelivery), for unit tests and the
worker benchmark. They keep the real adapters' contracts: conditional transitions on status and version,
missing objects as None, bounded reads."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from imagejobs.detect_requests import ImageSource, s3_image
from imagejobs.errors import TransientError
from imagejobs.index import IndexedImage
from imagejobs.messages import JobMessage
from imagejobs.records import JobRecord
from imagejobs.store import StaleRecordError
from worker.indexing import Documents, Index
from worker.ports import Download, JobStore, ObjectStore, Redelivery


@dataclass
class FakeJobStore:
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    transitions: int = 0
    requests: list[str] = field(default_factory=list)  # one entry per DynamoDB request the real store makes

    async def get_job(self, job_id: str) -> JobRecord | None:
        await asyncio.sleep(0)
        self.requests.append("GetItem")
        return self.jobs.get(job_id)

    async def transition(self, before: JobRecord, after: JobRecord) -> JobRecord:
        await asyncio.sleep(0)
        self.requests.append("TransactWriteItems")
        current = self.jobs.get(before.job_id)
        if current is None or (current.status, current.version) != (before.status, before.version):
            raise StaleRecordError(f"job {before.job_id} changed")
        self.jobs[after.job_id] = after
        self.transitions += 1
        return after


@dataclass
class FakeObjectStore:
    objects: dict[str, bytes] = field(default_factory=dict)
    bucket: str = "images"
    requests: list[str] = field(default_factory=list)  # one entry per S3 request the real adapter makes

    async def download(self, key: str, max_bytes: int) -> Download | None:
        await asyncio.sleep(0)
        self.requests.append("GET")
        if key not in self.objects:
            return None
        size = len(self.objects[key])
        return Download(size=size, data=None if size > max_bytes else self.objects[key])

    def image_source(self, key: str) -> ImageSource:
        return s3_image(self.bucket, key)

    async def read_json(self, key: str) -> Any | None:
        await asyncio.sleep(0)
        self.requests.append("GET")
        return json.loads(self.objects[key]) if key in self.objects else None

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.sleep(0)
        self.requests.append("PUT")
        self.objects[key] = data

    async def write_json(self, key: str, document: Any) -> None:
        await self.write(key, json.dumps(document).encode(), "application/json")


@dataclass
class FakeRedelivery:
    """The jobs queue from the worker's side: records what it was asked to do."""

    retried: list[tuple[str, int]] = field(default_factory=list)
    requeued: list[tuple[JobMessage, int]] = field(default_factory=list)

    async def retry_later(self, receipt_handle: str, receive_count: int) -> None:
        self.retried.append((receipt_handle, receive_count))

    async def requeue(self, message: JobMessage, delay_seconds: int) -> None:
        self.requeued.append((message, delay_seconds))


class FakeIndex:
    """The indexer's index port: records what it was asked to index and remove."""

    def __init__(self, fail: bool = False) -> None:
        self.indexed: list[IndexedImage] = []
        self.removed: list[str] = []
        self.fail = fail

    def index_image(self, image: IndexedImage) -> int:
        if self.fail:
            raise TransientError("DynamoDB busy")
        self.indexed.append(image)
        return 1

    def unindex_job(self, job_id: str, owner: str) -> int:
        self.removed.append(job_id)
        return 1


class FakeDocuments:
    """The indexer's S3 port: documents to read, analytics lines written."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.lines: dict[str, dict[str, Any]] = {}

    def read_json(self, key: str) -> Any | None:
        return self.documents.get(key)

    def write_line(self, key: str, document: dict[str, Any]) -> None:
        self.lines[key] = document

    def delete(self, key: str) -> None:
        self.lines.pop(key, None)


def _conforms() -> None:
    """mypy checks each fake against the port it stands in for (never called)."""
    store: JobStore = FakeJobStore()
    objects: ObjectStore = FakeObjectStore()
    redelivery: Redelivery = FakeRedelivery()
    index: Index = FakeIndex()
    documents: Documents = FakeDocuments({})
    del store, objects, redelivery, index, documents
