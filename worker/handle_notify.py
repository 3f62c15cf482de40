"""Entry point of the notifier Lambda: the jobs table's stream (worker/notifier.py says what it does)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from imagejobs.notify_store import NotifyStore
from imagejobs.observability import logger, metrics, tracer
from imagejobs.settings import NotifierSettings, load_settings
from worker.adapters.outlets import EventTopic, SocketConnections, WebhookQueue
from worker.notifier import Outlets, handle_stream

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=2, read_timeout=10)


@cache
def _settings() -> NotifierSettings:
    return load_settings(NotifierSettings)


@cache
def _clients() -> dict[str, Any]:
    session = boto3.session.Session()
    return {name: session.client(name, config=_CONFIG) for name in ("dynamodb", "sns", "sqs")}


def _management_client(endpoint: str) -> Any:
    return boto3.session.Session().client("apigatewaymanagementapi", endpoint_url=endpoint, config=_CONFIG)


def outlets() -> Outlets:
    """Fresh per invocation (its caches are), on clients kept for the execution environment."""
    settings, clients = _settings(), _clients()
    return Outlets(
        store=NotifyStore(clients["dynamodb"], settings.table_name),
        topic=EventTopic(clients["sns"], settings.events_topic_arn),
        queue=WebhookQueue(clients["sqs"], settings.webhook_queue_url),
        connections=_connections(),
        delivery_retention_days=settings.delivery_retention_days,
    )


@cache
def _connections() -> SocketConnections:
    return SocketConnections(_management_client)


def reset_clients() -> None:
    """Forget settings and clients (the local stack starting again on other ports in the same process)."""
    for cached in (_settings, _clients, _connections):
        cached.cache_clear()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_stream(event, outlets())
