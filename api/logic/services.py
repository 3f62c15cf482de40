"""The collaborators the API logic needs, built once per process (tests build their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from api.adapters.objects import ObjectStore
from api.adapters.queue import JobQueue
from imagejobs.settings import ApiSettings
from imagejobs.store import JobStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: ApiSettings
    store: JobStore
    objects: ObjectStore
    queue: JobQueue
    clock: Callable[[], datetime] = utc_now
