"""What processing a job needs from the outside world, as ports. The adapters in `worker/adapters` and
`imagejobs.store.AsyncJobStore` implement them; unit tests pass fakes that mypy checks against them."""

from __future__ import annotations

from typing import Any, Protocol

from imagejobs.messages import JobMessage
from imagejobs.model import Feature
from imagejobs.records import JobRecord


class JobStore(Protocol):
    async def get_job(self, job_id: str) -> JobRecord | None: ...
    async def transition(self, before: JobRecord, after: JobRecord) -> JobRecord: ...


class ObjectStore(Protocol):
    async def size_of(self, key: str) -> int | None: ...
    async def read(self, key: str, max_bytes: int) -> bytes: ...
    async def read_json(self, key: str) -> Any | None: ...
    async def write(self, key: str, data: bytes, content_type: str) -> None: ...
    async def write_json(self, key: str, document: Any) -> None: ...


class Recognizer(Protocol):
    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]: ...


class Redelivery(Protocol):
    """The jobs queue, from the worker's side: when a failed message comes back, and new deliveries."""

    async def retry_later(self, receipt_handle: str, receive_count: int) -> None: ...
    async def requeue(self, message: JobMessage, delay_seconds: int) -> None: ...
