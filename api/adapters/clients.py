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
from imagejobs.notify_store import NotifyStore
from imagejobs.webhook_queue import WebhookQueue

# API Gateway gives up on the function after 29 s: one call's worst case (attempts x (connect + read) +
# backoff) stays well inside it, so a slow dependency ends in a 503 with Retry-After, not a gateway 504.
CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=32,
)


@cache
def get_services() -> Services:
    settings = get_settings()
    session = boto3.session.Session()
    dynamodb = session.client("dynamodb", config=CONFIG)
    store = LibraryStore(dynamodb, settings.table_name)
    sqs = session.client("sqs", config=CONFIG)
    return Services(
        settings=settings,
        store=store,
        objects=ObjectStore(
            session.client("s3", config=CONFIG.merge(Config(signature_version="s3v4"))), settings.bucket_name
        ),
        queue=JobQueue(sqs, settings.queue_url),
        library=store,
        deletions=DeletionQueue(sqs, settings.deletions_queue_url),
        webhooks=NotifyStore(dynamodb, settings.table_name),
        webhook_queue=WebhookQueue(sqs, settings.webhook_queue_url),
    )
