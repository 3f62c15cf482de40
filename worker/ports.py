"""What processing a job needs from the outside world, as ports. The adapters in `worker/adapters` and
`imagejobs.store.AsyncJobStore` implement them; unit tests pass fakes that mypy checks against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from imagejobs.detect_requests import ImageSource
from imagejobs.messages import JobMessage
from imagejobs.model import Feature
from imagejobs.records import JobRecord


class JobStore(Protocol):
    async def get_job(self, job_id: str) -> JobRecord | None: ...
    async def transition(self, before: JobRecord, after: JobRecord) -> JobRecord: ...


@dataclass(frozen=True)
class Download:
    """An upload as the worker fetched it: its full size, and its bytes unless that size is over the limit."""

    size: int
    data: bytes | None


class ObjectStore(Protocol):
    async def download(self, key: str, max_bytes: int) -> Download | None: ...
    def image_source(self, key: str) -> ImageSource: ...
    async def read_json(self, key: str) -> Any | None: ...
    async def write(self, key: str, data: bytes, content_type: str) -> None: ...
    async def write_json(self, key: str, document: Any) -> None: ...


class Recognizer(Protocol):
    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]: ...


class Redelivery(Protocol):
    """The jobs queue, from the worker's side: when a failed message comes back, and new deliveries."""

    async def retry_later(self, receipt_handle: str, receive_count: int) -> None: ...
    async def requeue(self, message: JobMessage, delay_seconds: int) -> None: ...
