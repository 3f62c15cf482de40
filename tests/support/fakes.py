"""In-memory fakes of the worker's ports (job store, object store, redelivery), for unit tests and the
worker benchmark. They keep the real adapters' contracts: conditional transitions on status and version,
missing objects as None, bounded reads."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from imagejobs.messages import JobMessage
from imagejobs.records import JobRecord
from imagejobs.store import StaleRecordError
from worker.ports import JobStore, ObjectStore, Redelivery


@dataclass
class FakeJobStore:
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    transitions: int = 0

    async def get_job(self, job_id: str) -> JobRecord | None:
        await asyncio.sleep(0)
        return self.jobs.get(job_id)

    async def transition(self, before: JobRecord, after: JobRecord) -> JobRecord:
        await asyncio.sleep(0)
        current = self.jobs.get(before.job_id)
        if current is None or (current.status, current.version) != (before.status, before.version):
            raise StaleRecordError(f"job {before.job_id} changed")
        self.jobs[after.job_id] = after
        self.transitions += 1
        return after


@dataclass
class FakeObjectStore:
    objects: dict[str, bytes] = field(default_factory=dict)

    async def size_of(self, key: str) -> int | None:
        await asyncio.sleep(0)
        return len(self.objects[key]) if key in self.objects else None

    async def read(self, key: str, max_bytes: int) -> bytes:
        await asyncio.sleep(0)
        return self.objects[key][: max_bytes + 1]

    async def read_json(self, key: str) -> Any | None:
        await asyncio.sleep(0)
        return json.loads(self.objects[key]) if key in self.objects else None

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.sleep(0)
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


def _conforms() -> None:
    """mypy checks each fake against the port it stands in for (never called)."""
    store: JobStore = FakeJobStore()
    objects: ObjectStore = FakeObjectStore()
    redelivery: Redelivery = FakeRedelivery()
    del store, objects, redelivery
