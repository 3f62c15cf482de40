"""AWS clients for the API, made in one place, once per process (at first use, not at import)."""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

from api.adapters.objects import ObjectStore
from api.adapters.queue import DeletionQueue, JobQueue
from api.logic.services import Services
from api.settings import get_settings
from imagejobs.index_store import LibraryStore

_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 5},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=32,
)


@cache
def get_services() -> Services:
    settings = get_settings()
    session = boto3.session.Session()
    store = LibraryStore(session.client("dynamodb", config=_CONFIG), settings.table_name)
    sqs = session.client("sqs", config=_CONFIG)
    return Services(
        settings=settings,
        store=store,
        objects=ObjectStore(
            session.client("s3", config=_CONFIG.merge(Config(signature_version="s3v4"))), settings.bucket_name
        ),
        queue=JobQueue(sqs, settings.queue_url),
        library=store,
        deletions=DeletionQueue(sqs, settings.deletions_queue_url),
    )
