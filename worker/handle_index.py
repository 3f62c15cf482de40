"""Entry point of the indexer Lambda: the jobs table's stream (worker/indexing.py says what it does)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from imagejobs.index_store import LibraryStore
from imagejobs.observability import logger, metrics, tracer
from imagejobs.settings import StoreSettings, load_settings
from worker.adapters.documents import Documents
from worker.indexing import handle_stream

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=2, read_timeout=10)


@cache
def _adapters() -> tuple[LibraryStore, Documents]:
    settings = load_settings(StoreSettings)
    session = boto3.session.Session()
    return (
        LibraryStore(session.client("dynamodb", config=_CONFIG), settings.table_name),
        Documents(session.client("s3", config=_CONFIG), settings.bucket_name),
    )


def reset_clients() -> None:
    """Forget the clients (the local stack starting again on other ports in the same process)."""
    _adapters.cache_clear()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store, documents = _adapters()
    return handle_stream(event, store, documents)
