"""The collaborators the API logic needs, built once per process (tests build their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from api.logic.ports import DeletionQueue, JobQueue, JobRepository, Library, ObjectStorage, WebhookQueue, Webhooks
from imagejobs.settings import ApiSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: ApiSettings
    store: JobRepository
    objects: ObjectStorage
    queue: JobQueue
    library: Library
    deletions: DeletionQueue
    webhooks: Webhooks
    webhook_queue: WebhookQueue
    clock: Callable[[], datetime] = utc_now
